--[[
  Claims, in one call, the pending recipients whose POSTs are about to go out (their limiter slots
  were granted in the same turn of the worker's event loop), so a crash leaves no more claims than
  claim-1.lua would: each claim is followed by its POST at once.
  KEYS[1]  the campaign's ledger hash (phone -> value)
  ARGV     pairs: phone, the claim value to store (from ledger-value.ts: claimValue(token))
  Returns an array with, per pair, 1 when claimed, 0 when claimed or settled already.
]]
local out = {}
for i = 1, #ARGV, 2 do
  out[#out + 1] = redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return out
