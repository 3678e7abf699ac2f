--[[
  Applies one status or click to a sent recipient's delivery record and the campaign's funnel, so
  that duplicates and out-of-order events (read before delivered, failed after sent) count once.
  The recipient's send (route, fallback, acceptance time) comes from the ledger, read and decoded
  by the caller; this script never reads the ledger.
  KEYS[1]  the campaign's events hash (phone -> delivery record JSON: g group, p pricing category
           that settled it, d/r/c ms, f code and ft its time, b latency bucket, v 1 when the
           send counted in cloud:viaLite)
  KEYS[2]  the campaign's counts hash (delivered, read, clicked)
  KEYS[3]  the campaign's funnel hash (<group>:<field> counters, latency buckets, cloud:viaLite)
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
local function groupOf(priced)
  if route == 'cloud' and fellBack then return 'fallback' end
  if route == 'lite' and priced == 'marketing' then return 'liteViaCloud' end
  return route
end
if not rec.g then
  -- Until an event carries pricing, the group is the route the message was sent to.
  rec.g = groupOf(category)
  changed = true
end
if category ~= '' and not rec.p then
  -- The first event that carries pricing settles the route Meta used (sent and one of
  -- delivered/read are priced, failed never): counters of earlier events move with it.
  rec.p = category
  local settled = groupOf(category)
  if settled == 'liteViaCloud' then redis.call('HINCRBY', KEYS[3], 'liteViaCloud:sent', 1) end
  -- Sent to /messages by choice, delivered by MM Lite: 360dialog's smart routing contaminated the holdout.
  if route == 'cloud' and not fellBack and category == 'marketing_lite' then
    redis.call('HINCRBY', KEYS[3], 'cloud:viaLite', 1)
    rec.v = 1
  end
  if settled ~= rec.g then
    local moves = {}
    if rec.d then moves[#moves + 1] = 'delivered' end
    if rec.r then moves[#moves + 1] = 'read' end
    if rec.c then moves[#moves + 1] = 'clicked' end
    if rec.f then moves[#moves + 1] = 'failed'; moves[#moves + 1] = 'failed:' .. rec.f end
    if rec.b then moves[#moves + 1] = 'lat:' .. rec.b end
    for _, field in ipairs(moves) do
      redis.call('HINCRBY', KEYS[3], rec.g .. ':' .. field, -1)
      redis.call('HINCRBY', KEYS[3], settled .. ':' .. field, 1)
    end
    rec.g = settled
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
  rec.b = bucket
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
    rec.ft = at
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
