--[[
  Admits a batch of a channel if the channel has fewer than `limit` batches running across all
  workers, or renews the lease of one already admitted. Leases older than `stale-before` belong to
  crashed workers and are dropped first.
  KEYS[1]  the channel's lease sorted set (lease id -> last renewal ms)
  ARGV[1]  now (epoch ms)
  ARGV[2]  stale-before (epoch ms)
  ARGV[3]  lease id
  ARGV[4]  limit (batches at once)
  ARGV[5]  key TTL (ms)
  Returns 1 when admitted (or renewed), 0 when the channel has its share running.
]]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
