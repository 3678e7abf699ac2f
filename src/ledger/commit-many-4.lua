--[[
  Records the outcomes of one or several recipients of one campaign in one call, in order, and
  moves the campaign's counters with them (once per field for the whole block). Each recipient
  must hold the claim given (or an `unknown` value left by that same claim: a live worker whose
  batch was taken over; its real answer replaces the guess), or be pending when no claim is given
  (never claimed). Then the campaign completes when this was its last pending recipient: the
  lifecycle's automatic completion (AUTO_COMPLETION in src/shared/campaign-lifecycle.ts), checked
  once at the end. Per message this is two commands (HGET, HSET).
  KEYS[1]  the campaign's ledger hash
  KEYS[2]  the campaign's counts hash
  KEYS[3]  the campaign's errors-by-code hash
  KEYS[4]  the campaign's meta hash (state, intakeDoneAt, finishedAt)
  ARGV[1]  states that become 'completed' (comma-separated)
  ARGV[2]  states that only get finishedAt (comma-separated)
  ARGV[3]  now (epoch ms), for finishedAt
  ARGV[4..] seven per commit: phone; the claim value it must hold ('' = it must be pending); the
           prefix and suffix of an `unknown` value left by that same claim; the new value; the
           error code to count ('' = none); the counter fields to increment (comma-separated)
  Returns an array with, per commit, 1 when recorded, 0 when the recipient was not in the
  expected state.
]]
local deltas = {}
local errors = {}
local out = {}
local applied = false

local function add(list, field, n) list[field] = (list[field] or 0) + n end

for i = 4, #ARGV, 7 do
  local phone, expected, prefix, suffix = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local current = redis.call('HGET', KEYS[1], phone)
  local from = nil
  if expected == '' then
    if not current then from = 'pending' end
  elseif current == expected then
    from = 'pending'
  elseif current and suffix ~= '' and string.sub(current, 1, #prefix) == prefix and string.sub(current, -#suffix) == suffix then
    from = 'unknown'
  end
  if from then
    redis.call('HSET', KEYS[1], phone, ARGV[i + 4])
    add(deltas, from, -1)
    for field in string.gmatch(ARGV[i + 6], '[^,]+') do add(deltas, field, 1) end
    if ARGV[i + 5] ~= '' then add(errors, ARGV[i + 5], 1) end
    applied = true
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if not applied then return out end
for field, n in pairs(deltas) do redis.call('HINCRBY', KEYS[2], field, n) end
for code, n in pairs(errors) do redis.call('HINCRBY', KEYS[3], code, n) end

local function listed(list, value)
  for s in string.gmatch(list, '[^,]+') do if s == value then return true end end
  return false
end
if tonumber(redis.call('HGET', KEYS[2], 'pending') or '0') <= 0 and redis.call('HEXISTS', KEYS[4], 'intakeDoneAt') == 1 then
  local state = redis.call('HGET', KEYS[4], 'state')
  if state and listed(ARGV[1], state) then
    redis.call('HSET', KEYS[4], 'state', 'completed', 'finishedAt', ARGV[3])
  elseif state and listed(ARGV[2], state) then
    redis.call('HSETNX', KEYS[4], 'finishedAt', ARGV[3])
  end
end
return out
