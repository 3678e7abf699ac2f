--[[
  Stores a lowered adaptive rate for a channel unless another worker already lowered it within
  the current window (one decrease per window across every worker).
  KEYS[1]  the channel's rate state hash (rate, at, lastCutAt, knee)
  ARGV[1]  the new rate (msg/s)
  ARGV[2]  now (epoch ms): becomes both `at` and `lastCutAt`
  ARGV[3]  window start (epoch ms): a stored lastCutAt after it means "already cut"
  ARGV[4]  key TTL (ms): a channel idle that long starts again at its ceiling
  ARGV[5]  the knee (msg/s): the rate that was refused, which recovery passes slowly
  Returns 1 when stored, 0 when a cut of this window was already stored.
]]
local last = tonumber(redis.call('HGET', KEYS[1], 'lastCutAt') or '0')
if last > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'rate', ARGV[1], 'at', ARGV[2], 'lastCutAt', ARGV[2], 'knee', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
