--[[
  Records a recipient's outcome, moves the campaign's counters with it, and completes the
  campaign when this was the last pending recipient: the lifecycle's automatic completion
  (AUTO_COMPLETION in src/shared/campaign-lifecycle.ts, whose states arrive in ARGV[8], ARGV[9]).
  KEYS[1]  the campaign's ledger hash
  KEYS[2]  the campaign's counts hash
  KEYS[3]  the campaign's errors-by-code hash
  KEYS[4]  the campaign's meta hash (state, intakeDoneAt, finishedAt)
  ARGV[1]  phone
  ARGV[2]  the claim value the recipient must hold; '' = it must be pending (never claimed)
  ARGV[3]  prefix and ARGV[4] suffix of an `unknown` value left by that same claim: a live
           worker whose batch was taken over; its real answer replaces the guess
  ARGV[5]  the new value
  ARGV[6]  error code to count ('' = none)
  ARGV[7]  now (epoch ms), for finishedAt
  ARGV[8]  states that become 'completed' (comma-separated)
  ARGV[9]  states that only get finishedAt (comma-separated)
  ARGV[10..] counter fields to increment
  Returns 1 when recorded, 0 when the recipient was not in the expected state.
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
local from = 'pending'
if ARGV[2] == '' then
  if current then return 0 end
elseif current == ARGV[2] then
  from = 'pending'
elseif current and ARGV[4] ~= '' and string.sub(current, 1, #ARGV[3]) == ARGV[3] and string.sub(current, -#ARGV[4]) == ARGV[4] then
  from = 'unknown'
else
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[5])
redis.call('HINCRBY', KEYS[2], from, -1)
for i = 10, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
if ARGV[6] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[6], 1) end

local function listed(list, value)
  for s in string.gmatch(list, '[^,]+') do if s == value then return true end end
  return false
end
if tonumber(redis.call('HGET', KEYS[2], 'pending') or '0') <= 0 and redis.call('HEXISTS', KEYS[4], 'intakeDoneAt') == 1 then
  local state = redis.call('HGET', KEYS[4], 'state')
  if state and listed(ARGV[8], state) then
    redis.call('HSET', KEYS[4], 'state', 'completed', 'finishedAt', ARGV[7])
  elseif state and listed(ARGV[9], state) then
    redis.call('HSETNX', KEYS[4], 'finishedAt', ARGV[7])
  end
end
return 1
