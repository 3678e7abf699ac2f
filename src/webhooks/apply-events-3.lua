--[[
  Applies statuses and clicks of one campaign, in order, to sent recipients' delivery records and
  the campaign's funnel, so that duplicates and out-of-order events (read before delivered, failed
  after sent) count once. One call takes every event of a batch of webhook bodies for the campaign.
  Each recipient's send (route, fallback, acceptance time) comes from the ledger, read and decoded
  by the caller; this script never reads the ledger.
  KEYS[1]  the campaign's events hash (phone -> delivery record JSON: g group, p pricing category
           that settled it, d/r/c ms, f code and ft its time, b latency bucket, v 1 when the
           send counted in cloud:viaLite)
  KEYS[2]  the campaign's counts hash (delivered, read, clicked)
  KEYS[3]  the campaign's funnel hash (<group>:<field> counters, latency buckets, cloud:viaLite)
  ARGV[1]  ratio between consecutive latency histogram buckets
  then, 8 per event:
    phone
    kind: sent | delivered | read | failed | click
    received at (epoch ms)
    pricing category of the status ('' = none)
    error code of a failed status ('' = none)
    route of the send: lite | cloud
    '1' when the send was a fallback from MM Lite
    accepted at (epoch ms), for the delivery latency ('' = the received time)
  Returns one result per event, in order: 'OK' when something changed, 'DUP' when the event was
  seen already.
]]
local ratio = tonumber(ARGV[1])

local function applyOne(phone, kind, at, category, code, route, fellBack, acceptedAt)
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
  -- The first event of a kind stamps the record and counts once, for the campaign and its group.
  local function countOnce(flag, counter)
    if rec[flag] then return false end
    rec[flag] = at
    redis.call('HINCRBY', KEYS[2], counter, 1)
    redis.call('HINCRBY', KEYS[3], g .. ':' .. counter, 1)
    changed = true
    return true
  end
  local function delivered()
    if not countOnce('d', 'delivered') then return end
    local latency = math.max(0, at - acceptedAt)
    local bucket = math.floor(math.log(latency + 1) / math.log(ratio))
    rec.b = bucket
    redis.call('HINCRBY', KEYS[3], g .. ':lat:' .. bucket, 1)
  end
  if kind == 'delivered' then
    delivered()
  elseif kind == 'read' then
    delivered()
    countOnce('r', 'read')
  elseif kind == 'click' then
    countOnce('c', 'clicked')
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
end

local results = {}
for i = 2, #ARGV, 8 do
  local at = tonumber(ARGV[i + 2])
  results[#results + 1] = applyOne(ARGV[i], ARGV[i + 1], at, ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6] == '1', tonumber(ARGV[i + 7]) or at)
end
return results
