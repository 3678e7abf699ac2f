/**
 * Applies webhook events to campaigns in Redis. A status or click changes a recipient's delivery
 * record and the campaign's funnel in one Lua script, so duplicates and out-of-order events
 * (read before delivered, failed after sent) are counted once. A status for a recipient whose
 * send was `unknown` proves the send was accepted: it becomes `sent`.
 *
 * Funnel groups: `lite` (sent through MM Lite and delivered by it), `cloud` (sent to `/messages`
 * by choice: a cloud campaign or a split's holdout), `fallback` (refused by MM Lite, re-sent to
 * `/messages`), `liteViaCloud` (sent to MM Lite, but Meta delivered it through the Cloud API:
 * `pricing.category` is `marketing`). The group is fixed by the first event seen for a recipient.
 */
import type { RedisClient as Redis } from '../shared/redis.ts';
import type { Keys } from '../shared/keys.ts';

/** Ratio between consecutive latency histogram buckets. */
export const LATENCY_BUCKET_RATIO = 1.25;

/**
 * KEYS: ledger, events, counts, funnel, errors, meta.
 * ARGV: phone, kind (sent|delivered|read|failed|click), receivedAt ms, category, errorCode, wamid.
 * Returns 'OK', 'DUP', 'NOT_YET' (claimed: the send's commit has not landed) or 'NO_SEND'.
 */
const APPLY = `
local phone, kind, at, category, code, wamid = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6]
local led = redis.call('HGET', KEYS[1], phone)
if not led then return 'NO_SEND' end
local tag = string.sub(led, 1, 2)
if tag == 'C|' then return 'NOT_YET' end
local route, acceptedAt
local fellBack = false
if tag == 'U|' then
  -- A status for an unknown send: it was accepted after all.
  route = (category == 'marketing_lite') and 'lite' or 'cloud'
  acceptedAt = at
  redis.call('HSET', KEYS[1], phone, 'S|' .. route .. '|' .. wamid .. '|0||' .. at)
  redis.call('HINCRBY', KEYS[3], 'unknown', -1)
  redis.call('HINCRBY', KEYS[3], 'sent', 1)
  redis.call('HINCRBY', KEYS[3], route == 'lite' and 'sentLite' or 'sentCloud', 1)
  local unknownCode = string.match(led, '^U|([^|]*)')
  if unknownCode and unknownCode ~= '' then redis.call('HINCRBY', KEYS[5], unknownCode, -1) end
elseif tag == 'S|' then
  local fields = {}
  for f in string.gmatch(led .. '|', '([^|]*)|') do table.insert(fields, f) end
  route = fields[2]
  fellBack = fields[4] == '1'
  acceptedAt = tonumber(fields[6]) or at
else
  return 'NO_SEND'
end
local raw = redis.call('HGET', KEYS[2], phone)
local rec = raw and cjson.decode(raw) or {}
local changed = false
if not rec.g then
  if route == 'cloud' and fellBack then
    rec.g = 'fallback'
  elseif route == 'lite' and category == 'marketing' then
    rec.g = 'liteViaCloud'
    redis.call('HINCRBY', KEYS[4], 'liteViaCloud:sent', 1)
  else
    rec.g = route
  end
  changed = true
end
local g = rec.g
local function delivered()
  if rec.d then return end
  rec.d = at
  redis.call('HINCRBY', KEYS[3], 'delivered', 1)
  redis.call('HINCRBY', KEYS[4], g .. ':delivered', 1)
  local latency = math.max(0, at - acceptedAt)
  local bucket = math.floor(math.log(latency + 1) / math.log(${LATENCY_BUCKET_RATIO}))
  redis.call('HINCRBY', KEYS[4], g .. ':lat:' .. bucket, 1)
  changed = true
end
if kind == 'delivered' then
  delivered()
elseif kind == 'read' then
  delivered()
  if not rec.r then
    rec.r = at
    redis.call('HINCRBY', KEYS[3], 'read', 1)
    redis.call('HINCRBY', KEYS[4], g .. ':read', 1)
    changed = true
  end
elseif kind == 'click' then
  if not rec.c then
    rec.c = at
    redis.call('HINCRBY', KEYS[3], 'clicked', 1)
    redis.call('HINCRBY', KEYS[4], g .. ':clicked', 1)
    changed = true
  end
elseif kind == 'failed' then
  if not rec.f then
    rec.f = (code ~= '' and code or 'unknown')
    redis.call('HINCRBY', KEYS[4], g .. ':failed', 1)
    redis.call('HINCRBY', KEYS[4], g .. ':failed:' .. rec.f, 1)
    changed = true
  end
end
if changed then
  redis.call('HSET', KEYS[2], phone, cjson.encode(rec))
  return 'OK'
end
return 'DUP'`;

export type ApplyResult = 'OK' | 'DUP' | 'NOT_YET' | 'NO_SEND';
export type DeliveryKind = 'sent' | 'delivered' | 'read' | 'failed' | 'click';

type WebhookRedis = Redis & {
  litecastApplyEvent(...args: string[]): Promise<ApplyResult>;
};

/** A recipient's delivery record, as kept in the campaign's events hash. */
export type DeliveryRecord = { g?: 'lite' | 'cloud' | 'fallback' | 'liteViaCloud'; d?: number; r?: number; c?: number; f?: string };

export function createWebhookStore(redis: Redis, keys: Keys) {
  const r = redis as WebhookRedis;
  if (typeof r.litecastApplyEvent !== 'function') redis.defineCommand('litecastApplyEvent', { numberOfKeys: 6, lua: APPLY });
  const statsKey = keys.webhookStats;
  const unmatchedKey = keys.webhookUnmatched;

  return {
    async apply(campaignId: string, phone: string, kind: DeliveryKind, event: { receivedAt: number; category?: string; errorCode?: string; wamid?: string }): Promise<ApplyResult> {
      return r.litecastApplyEvent(
        keys.campaignLedger(campaignId),
        keys.campaignEvents(campaignId),
        keys.campaignCounts(campaignId),
        keys.campaignFunnel(campaignId),
        keys.campaignErrors(campaignId),
        keys.campaignMeta(campaignId),
        phone,
        kind,
        String(event.receivedAt),
        event.category ?? '',
        event.errorCode ?? '',
        event.wamid ?? '',
      );
    },
    /** wamid → campaign and phone, recorded by the worker at commit. */
    async lookupWamid(wamid: string): Promise<{ campaignId: string; phone: string } | undefined> {
      const value = await redis.get(keys.wamid(wamid));
      const at = value?.lastIndexOf(':') ?? -1;
      return value && at > 0 ? { campaignId: value.slice(0, at), phone: value.slice(at + 1) } : undefined;
    },
    async suppress(channelId: string, phone: string, stop: boolean): Promise<void> {
      if (stop) await redis.sadd(keys.channelSuppressed(channelId), phone);
      else await redis.srem(keys.channelSuppressed(channelId), phone);
    },
    /** Keeps an event that matched no campaign (the newest 10,000) and counts it. */
    async keepUnmatched(event: unknown, reason: string): Promise<void> {
      await redis
        .multi()
        .hincrby(statsKey, `unmatched:${reason}`, 1)
        .lpush(unmatchedKey, JSON.stringify({ reason, event, at: Date.now() }))
        .ltrim(unmatchedKey, 0, 9_999)
        .exec();
    },
    async count(field: string, by = 1): Promise<void> {
      await redis.hincrby(statsKey, field, by);
    },
    async stats(): Promise<Record<string, number>> {
      const raw = await redis.hgetall(statsKey);
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
    },
    async unmatched(limit = 100): Promise<unknown[]> {
      return (await redis.lrange(unmatchedKey, 0, limit - 1)).map((v) => JSON.parse(v) as unknown);
    },
    async record(campaignId: string, phone: string): Promise<DeliveryRecord | undefined> {
      const raw = await redis.hget(keys.campaignEvents(campaignId), phone);
      return raw ? (JSON.parse(raw) as DeliveryRecord) : undefined;
    },
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
