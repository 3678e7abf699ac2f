--[[
  Moves a campaign from one of the allowed states to another (compare-and-set), and tells the
  workers. The rules (which action from where, which target is final) are in campaign-lifecycle.ts.
  KEYS[1]  the campaign's meta hash
  KEYS[2]  the campaign's control channel (pub/sub)
  ARGV[1]  allowed current states (comma-separated)
  ARGV[2]  target state
  ARGV[3]  reason ('' = clear it)
  ARGV[4]  now (epoch ms)
  ARGV[5]  '1' when the target sends (running): set startedAt once, clear finishedAt
  ARGV[6]  '1' when the target is final: set finishedAt once
  Returns the previous state, 'ERR_MISSING' (no such campaign) or 'ERR_STATE:<state>'.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'ERR_MISSING' end
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == state then allowed = true end end
if not allowed then return 'ERR_STATE:' .. state end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[3]) else redis.call('HDEL', KEYS[1], 'reason') end
if ARGV[5] == '1' then
  redis.call('HSETNX', KEYS[1], 'startedAt', ARGV[4])
  redis.call('HDEL', KEYS[1], 'finishedAt')
end
if ARGV[6] == '1' then redis.call('HSETNX', KEYS[1], 'finishedAt', ARGV[4]) end
redis.call('PUBLISH', KEYS[2], ARGV[2])
return state
