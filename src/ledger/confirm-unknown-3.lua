--[[
  A status webhook for an `unknown` recipient proves its send was accepted: it becomes `sent`.
  KEYS[1]  the campaign's ledger hash
  KEYS[2]  the campaign's counts hash
  KEYS[3]  the campaign's errors-by-code hash
  ARGV[1]  phone
  ARGV[2]  the unknown value it must still hold
  ARGV[3]  the sent value to store
  ARGV[4]  the unknown's error code, taken off the errors count ('' = none)
  ARGV[5..] counter fields to increment (sent, sentLite or sentCloud)
  Returns 1 when confirmed, 0 when the value changed meanwhile (e.g. the worker's real answer).
]]
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], 'unknown', -1)
for i = 5, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[4], -1) end
return 1
