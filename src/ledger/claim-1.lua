--[[
  Claims a pending recipient for one POST.
  KEYS[1]  the campaign's ledger hash (phone -> value)
  ARGV[1]  phone
  ARGV[2]  the claim value to store (from ledger-value.ts: claimValue(token))
  Returns 'OK' when claimed, else the recipient's current value (claimed or settled already).
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then return current end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 'OK'
