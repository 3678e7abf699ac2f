--[[
  A failed (or, on explicit request, unknown) recipient goes back to pending, for a retry the
  user asked for; so does a sent one whose delivery failed later (a 131049 failed webhook).
  KEYS[1]  the campaign's ledger hash
  KEYS[2]  the campaign's counts hash
  KEYS[3]  the campaign's errors-by-code hash
  ARGV[1]  phone
  ARGV[2]  the failed value it must still hold
  ARGV[3]  its error code, taken off the errors count ('' = none)
  ARGV[4]  the counters it leaves, comma-separated: 'failed', 'unknown', or 'sent,sentLite[,fallbacks]'
  Returns 1 when reopened, 0 when the value changed meanwhile.
]]
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
for counter in string.gmatch(ARGV[4], '[^,]+') do
  redis.call('HINCRBY', KEYS[2], counter, -1)
end
redis.call('HINCRBY', KEYS[2], 'pending', 1)
if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[3], -1) end
return 1
