--[[
  Takes one send from a recipient's frequency cap on a channel, atomically with the check, so two
  campaigns (or two workers) sending to the same number at once cannot both pass a full cap.
  Sends older than the period are dropped first. A campaign counts once per recipient: taking
  again for the same campaign (a batch run again after a crash) passes without counting twice.
  KEYS[1]  the recipient's send log on the channel (sorted set: campaign id -> send time ms)
  ARGV[1]  now (epoch ms)
  ARGV[2]  period (ms)
  ARGV[3]  max sends in the period
  ARGV[4]  campaign id
  Returns 1 when the send may go ahead (now logged), 0 when the cap is reached.
]]
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], period)
return 1
