--[[
  Stores one intake batch, idempotently (a re-run of the same intake changes nothing). A phone
  already taken by another batch is a duplicate: its row is rejected. Rejected rows count as the
  outcome `skipped` (never sent).
  KEYS[1]  the campaign's recipients hash (phone -> batch index)
  KEYS[2]  the batch's key (recipients JSON)
  KEYS[3]  the campaign's counts hash (total, pending, skipped)
  KEYS[4]  the campaign's rejected-rows hash (line -> row JSON)
  ARGV[1]  batch index ('-1' for rejected rows without a batch)
  ARGV[2]  recipients JSON: [{ p: phone, l: line, f: fields }]
  ARGV[3]  rows already rejected by the reader, JSON: [{ line, code, reason, raw? }]
  Returns the number of recipients kept in the batch.
]]
local idx = ARGV[1]
local recs = cjson.decode(ARGV[2])
local rejected = cjson.decode(ARGV[3])
local keep, seen, fresh = {}, {}, 0
for _, r in ipairs(recs) do
  local prev = redis.call('HGET', KEYS[1], r.p)
  if seen[r.p] or (prev and prev ~= idx) then
    table.insert(rejected, { line = r.l, code = 'duplicate', reason = 'duplicate phone number: already in this campaign (first seen earlier in the file); skipped' })
  else
    if not prev then redis.call('HSET', KEYS[1], r.p, idx); fresh = fresh + 1 end
    seen[r.p] = true
    table.insert(keep, r)
  end
end
if #keep > 0 then redis.call('SET', KEYS[2], cjson.encode(keep), 'NX') end
local skipped = 0
for _, row in ipairs(rejected) do
  skipped = skipped + redis.call('HSETNX', KEYS[4], tostring(row.line), cjson.encode(row))
end
if fresh + skipped > 0 then
  redis.call('HINCRBY', KEYS[3], 'total', fresh + skipped)
  redis.call('HINCRBY', KEYS[3], 'pending', fresh)
  redis.call('HINCRBY', KEYS[3], 'skipped', skipped)
end
return #keep
