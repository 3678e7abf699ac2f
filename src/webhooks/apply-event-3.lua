--[[
  Applies one status or click to a sent recipient's delivery record and the campaign's funnel, so
  that duplicates and out-of-order events (read before delivered, failed after sent) count once.
  The recipient's send (route, fallback, acceptance time) comes from the ledger, read and decoded
  by the caller; this script never reads the ledger.
  KEYS[1]  the campaign's events hash (phone -> delivery record JSON: g group, d/r/c ms, f code)
  KEYS[2]  the campaign's counts hash (delivered, read, clicked)
  KEYS[3]  the campaign's funnel hash (<group>:<field> counters, latency buckets)
  ARGV[1]  phone
  ARGV[2]  kind: sent | delivered | read | failed | click
  ARGV[3]  received at (epoch ms)
  ARGV[4]  pricing category of the status ('' = none)
  ARGV[5]  error code of a failed status ('' = none)
  ARGV[6]  route of the send: lite | cloud
  ARGV[7]  '1' when the send was a fallback from MM Lite
  ARGV[8]  accepted at (epoch ms), for the delivery latency
  ARGV[9]  ratio between consecutive latency histogram buckets
  Returns 'OK' when something changed, 'DUP' when the event was seen already.
]]
local phone, kind, at, category, code = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local route, fellBack, acceptedAt, ratio = ARGV[6], ARGV[7] == '1', tonumber(ARGV[8]) or tonumber(ARGV[3]), tonumber(ARGV[9])
local raw = redis.call('HGET', KEYS[1], phone)
local rec = raw and cjson.decode(raw) or {}
local changed = false
if not rec.g then
  -- The group is fixed by the first event seen for a recipient.
  if route == 'cloud' and fellBack then
    rec.g = 'fallback'
  elseif route == 'lite' and category == 'marketing' then
    rec.g = 'liteViaCloud'
    redis.call('HINCRBY', KEYS[3], 'liteViaCloud:sent', 1)
  else
    rec.g = route
  end
  changed = true
end
local g = rec.g
local function delivered()
  if rec.d then return end
  rec.d = at
  redis.call('HINCRBY', KEYS[2], 'delivered', 1)
  redis.call('HINCRBY', KEYS[3], g .. ':delivered', 1)
  local latency = math.max(0, at - acceptedAt)
  local bucket = math.floor(math.log(latency + 1) / math.log(ratio))
  redis.call('HINCRBY', KEYS[3], g .. ':lat:' .. bucket, 1)
  changed = true
end
if kind == 'delivered' then
  delivered()
elseif kind == 'read' then
  delivered()
  if not rec.r then
    rec.r = at
    redis.call('HINCRBY', KEYS[2], 'read', 1)
    redis.call('HINCRBY', KEYS[3], g .. ':read', 1)
    changed = true
  end
elseif kind == 'click' then
  if not rec.c then
    rec.c = at
    redis.call('HINCRBY', KEYS[2], 'clicked', 1)
    redis.call('HINCRBY', KEYS[3], g .. ':clicked', 1)
    changed = true
  end
elseif kind == 'failed' then
  if not rec.f then
    rec.f = (code ~= '' and code or 'unknown')
    redis.call('HINCRBY', KEYS[3], g .. ':failed', 1)
    redis.call('HINCRBY', KEYS[3], g .. ':failed:' .. rec.f, 1)
    changed = true
  end
end
if changed then
  redis.call('HSET', KEYS[1], phone, cjson.encode(rec))
  return 'OK'
end
return 'DUP'
