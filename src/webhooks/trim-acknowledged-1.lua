--[[
  Trims the webhook stream below what every consumer group has acknowledged: the lowest of each
  group's oldest pending entry (read, not yet acknowledged) and, for a group with nothing pending,
  the entry after its last delivered one. Entries nobody has read yet are never trimmed, so unlike
  MAXLEN this cannot drop an event that was acknowledged to 360dialog but not applied.
  KEYS[1]  the webhook stream
  Returns the number of entries removed (0 when the stream or its groups do not exist).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return 0 end

local function parse(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end

local minMs, minSeq
for _, group in ipairs(groups) do
  local fields = {}
  for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
  local ms, seq
  if tonumber(fields['pending']) > 0 then
    local summary = redis.call('XPENDING', KEYS[1], fields['name'])
    ms, seq = parse(summary[2])
  else
    ms, seq = parse(fields['last-delivered-id'])
    seq = seq + 1
  end
  if minMs == nil or ms < minMs or (ms == minMs and seq < minSeq) then minMs, minSeq = ms, seq end
end
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-%d', minMs, minSeq))
