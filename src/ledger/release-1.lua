--[[
  Gives a claim back when nothing was posted (pause, shutdown, fatal verdict): the recipient is
  pending again.
  KEYS[1]  the campaign's ledger hash
  ARGV[1]  phone
  ARGV[2]  the claim value it must still hold
  Returns 1 when released, 0 when the recipient no longer holds that claim.
]]
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
