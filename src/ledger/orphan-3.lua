--[[
  A claim found at batch start belongs to a dead worker: the recipient may have been sent, so it
  becomes `unknown` (counted, never re-sent automatically).
  KEYS[1]  the campaign's ledger hash
  KEYS[2]  the campaign's counts hash
  KEYS[3]  the campaign's errors-by-code hash
  ARGV[1]  phone
  ARGV[2]  the claim value it must still hold
  ARGV[3]  the unknown value to store
  ARGV[4]  error code to count (e.g. WORKER_LOST)
  Returns 1 when changed, 0 when the recipient no longer holds that claim.
]]
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], 'pending', -1)
redis.call('HINCRBY', KEYS[2], 'unknown', 1)
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
return 1
