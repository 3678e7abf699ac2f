/**
 * Applies webhook events to campaigns in Redis. A status or click changes a recipient's delivery
 * record and the campaign's funnel in one Lua script, so duplicates and out-of-order events
 * (read before delivered, failed after sent) are counted once. A status for a recipient whose
 * send was `unknown` proves the send was accepted: the ledger confirms it as `sent` first.
 *
 * Funnel groups: `lite` (sent through MM Lite and delivered by it), `cloud` (sent to `/messages`
 * by choice: a cloud campaign or a split's holdout), `fallback` (refused by MM Lite, re-sent to
 * `/messages`), `liteViaCloud` (sent to MM Lite, but Meta delivered it through the Cloud API:
 * `pricing.category` is `marketing`). The group is fixed by the first event seen for a recipient.
 */
import type { RedisClient as Redis } from '../shared/redis.ts';
import type { Keys } from '../shared/keys.ts';
import { defineScripts } from '../shared/redis-scripts.ts';
import { createLedger } from '../ledger/ledger.ts';
import type { LedgerEntry } from '../ledger/ledger-value.ts';
import { createCampaignStore } from '../shared/campaign-store.ts';
import { routeFor } from '../shared/route-decision.ts';
import { createSuppressionStore } from '../shared/suppression-store.ts';

/** Ratio between consecutive latency histogram buckets. */
export const LATENCY_BUCKET_RATIO = 1.25;

const SCRIPTS = { applyEvents: new URL('./apply-events-3.lua', import.meta.url) };

export type ApplyResult = 'OK' | 'DUP' | 'NOT_YET' | 'NO_SEND';
export type DeliveryKind = 'sent' | 'delivered' | 'read' | 'failed' | 'click';
/** One status or click for a recipient of a campaign. */
export type DeliveryEvent = { phone: string; kind: DeliveryKind; receivedAt: number; category?: string; errorCode?: string; wamid?: string };

/** One event's 8 arguments to apply-events-3.lua: the event, and its send as the ledger records it. */
function eventArgs(event: DeliveryEvent, send: Extract<LedgerEntry, { state: 'sent' }>): string[] {
  return [event.phone, event.kind, String(event.receivedAt), event.category ?? '', event.errorCode ?? '', send.route, send.fellBack ? '1' : '0', send.acceptedAt ? String(send.acceptedAt) : ''];
}

/** A recipient's delivery record, as kept in the campaign's events hash. */
export type DeliveryRecord = { g?: 'lite' | 'cloud' | 'fallback' | 'liteViaCloud'; d?: number; r?: number; c?: number; f?: string };

const CLICK_RETENTION_MS = 60 * 24 * 3_600_000;

/** How often apply() re-reads a recipient whose `unknown` changed while it was being confirmed. */
const CONFIRM_ATTEMPTS = 3;

/** The webhook side of a namespace: apply events, find a wamid's recipient, suppress, keep the unmatched. */
export function createWebhookStore(redis: Redis, keys: Keys) {
  const run = defineScripts(redis, SCRIPTS);
  const ledger = createLedger(redis, keys);
  const campaigns = createCampaignStore(redis, keys);
  const suppression = createSuppressionStore(redis, keys);
  const statsKey = keys.webhookStats;
  const unmatchedKey = keys.webhookUnmatched;

  const store = {
    /**
     * Applies statuses and clicks of one campaign, in order: one read of the ledger for all their
     * recipients and one script call for those whose send is `sent`. A claim means the send's
     * commit has not landed yet (`NOT_YET`: the body retries); an `unknown` is confirmed as sent
     * first (apply, one event at a time); anything but a send is `NO_SEND`. One result per event.
     */
    async applyMany(campaignId: string, events: readonly DeliveryEvent[]): Promise<ApplyResult[]> {
      const phones = [...new Set(events.map((e) => e.phone))];
      const entries = await ledger.entries(campaignId, phones);
      const entryOf = new Map(phones.map((phone, i) => [phone, entries[i] ?? ({ state: 'pending' } as const)]));
      const results: ApplyResult[] = new Array<ApplyResult>(events.length).fill('NO_SEND');
      const scripted: number[] = [];
      const args: string[] = [String(LATENCY_BUCKET_RATIO)];
      const unknown: number[] = [];
      events.forEach((event, i) => {
        const entry = entryOf.get(event.phone) as LedgerEntry;
        if (entry.state === 'claimed') results[i] = 'NOT_YET';
        else if (entry.state === 'unknown') unknown.push(i);
        else if (entry.state === 'sent') {
          scripted.push(i);
          args.push(...eventArgs(event, entry));
        }
      });
      if (scripted.length > 0) {
        const applied = (await run('applyEvents', [keys.campaignEvents(campaignId), keys.campaignCounts(campaignId), keys.campaignFunnel(campaignId)], args)) as ApplyResult[];
        scripted.forEach((at, k) => (results[at] = applied[k] ?? 'NO_SEND'));
      }
      // Rare (a send whose answer was lost): one at a time, in order, each confirming first.
      for (const i of unknown) {
        const { phone, kind, ...event } = events[i] as DeliveryEvent;
        results[i] = await store.apply(campaignId, phone, kind, event);
      }
      return results;
    },
    /**
     * Applies a status or click to a recipient. Its send is read from the ledger: a claim means the
     * send's commit has not landed yet (`NOT_YET`: the job retries); an `unknown` is confirmed as
     * sent first, through the ledger; anything but a send is `NO_SEND`.
     */
    async apply(campaignId: string, phone: string, kind: DeliveryKind, event: Omit<DeliveryEvent, 'phone' | 'kind'>): Promise<ApplyResult> {
      for (let attempt = 1; ; attempt++) {
        const [entry = { state: 'pending' }] = await ledger.entries(campaignId, [phone]);
        if (entry.state === 'claimed') return 'NOT_YET';
        if (entry.state === 'unknown' && attempt < CONFIRM_ATTEMPTS) {
          // A status for an unknown send: it was accepted after all. Its route is the one it was
          // sent to; Meta's pricing, on whichever event first carries it, settles the group.
          const campaign = event.category === undefined ? await campaigns.get(campaignId) : undefined;
          const route = event.category !== undefined ? (event.category === 'marketing_lite' ? 'lite' : 'cloud') : campaign ? routeFor(campaign, phone) : 'cloud';
          await ledger.confirmUnknown(campaignId, phone, entry, { route, wamid: event.wamid ?? '', acceptedAt: event.receivedAt });
          continue; // read the value back: ours, or the worker's real answer that came first
        }
        if (entry.state !== 'sent') return 'NO_SEND';
        const [result] = (await run(
          'applyEvents',
          [keys.campaignEvents(campaignId), keys.campaignCounts(campaignId), keys.campaignFunnel(campaignId)],
          [String(LATENCY_BUCKET_RATIO), ...eventArgs({ phone, kind, ...event }, entry)],
        )) as ApplyResult[];
        return result ?? 'NO_SEND';
      }
    },
    /**
     * Every recipient whose delivery failed later with `code` (a failed status webhook), with the
     * failure's time (0 when the record predates it being kept).
     */
    async lateFailures(campaignId: string, code: string): Promise<Map<string, number>> {
      const found = new Map<string, number>();
      let cursor = '0';
      do {
        const [next, flat] = await redis.hscan(keys.campaignEvents(campaignId), cursor, 'COUNT', 1000);
        cursor = next;
        for (let i = 0; i < flat.length; i += 2) {
          const record = JSON.parse(flat[i + 1] as string) as DeliveryRecord & { ft?: number };
          if (record.f === code) found.set(flat[i] as string, record.ft ?? 0);
        }
      } while (cursor !== '0');
      return found;
    },
    /**
     * Forgets a recipient's delivery record and takes it out of the funnel, for a retry that sends
     * to it again: the new send's webhooks then count afresh.
     */
    async forgetDelivery(campaignId: string, phone: string): Promise<void> {
      const raw = await redis.hget(keys.campaignEvents(campaignId), phone);
      if (!raw) return;
      const record = JSON.parse(raw) as DeliveryRecord & { b?: number; p?: string; v?: number };
      const g = record.g ?? 'lite';
      const multi = redis.multi().hdel(keys.campaignEvents(campaignId), phone);
      const funnel = keys.campaignFunnel(campaignId);
      const counts = keys.campaignCounts(campaignId);
      if (record.d !== undefined) multi.hincrby(funnel, `${g}:delivered`, -1).hincrby(counts, 'delivered', -1);
      if (record.r !== undefined) multi.hincrby(funnel, `${g}:read`, -1).hincrby(counts, 'read', -1);
      if (record.b !== undefined) multi.hincrby(funnel, `${g}:lat:${record.b}`, -1);
      if (record.f !== undefined) multi.hincrby(funnel, `${g}:failed`, -1).hincrby(funnel, `${g}:failed:${record.f}`, -1);
      if (record.p !== undefined && g === 'liteViaCloud') multi.hincrby(funnel, 'liteViaCloud:sent', -1);
      if (record.v === 1) multi.hincrby(funnel, 'cloud:viaLite', -1);
      await multi.exec();
    },
    /** wamid → campaign and phone, recorded by the worker at commit. */
    async lookupWamid(wamid: string): Promise<{ campaignId: string; phone: string } | undefined> {
      const value = await redis.get(keys.wamid(wamid));
      const at = value?.lastIndexOf(':') ?? -1;
      return value && at > 0 ? { campaignId: value.slice(0, at), phone: value.slice(at + 1) } : undefined;
    },
    /** Opt-out (`stop`) or opt back in of a recipient named by any identity (suppression-store.ts). */
    suppress: (channelId: string, identity: string, stop: boolean): Promise<void> => suppression.set(channelId, identity, stop),
    /** The channel a campaign sends on. */
    async channelOf(campaignId: string): Promise<string | undefined> {
      return (await redis.hget(keys.campaignMeta(campaignId), 'channelId')) ?? undefined;
    },
    /**
     * Pauses the scheduled and running campaigns that use a template Meta paused or disabled
     * (on `channelId`, or on every channel when the webhook named none). Returns their ids.
     */
    async pauseTemplateUsers(channelId: string | undefined, template: { name: string; language?: string }, reason: string): Promise<string[]> {
      const ids = await redis.zrevrange(keys.campaigns, 0, 9_999);
      const paused: string[] = [];
      for (const id of ids) {
        const campaign = await campaigns.get(id);
        if (!campaign || (campaign.state !== 'scheduled' && campaign.state !== 'running')) continue;
        if (channelId !== undefined && campaign.channelId !== channelId) continue;
        if (campaign.template.name !== template.name || (template.language !== undefined && campaign.template.language !== template.language)) continue;
        // Lost races (the user paused or cancelled it first) are fine: it is stopped either way.
        if (await campaigns.transition(id, 'pause', reason).then(() => true, () => false)) paused.push(id);
      }
      return paused;
    },
    /**
     * Counts an MM Lite link click on its channel, once per `click_id`. Meta's click names no
     * recipient, message or campaign, so clicks are kept per channel with their time and
     * attributed to campaigns later as an estimate (click-estimate.ts).
     */
    async countClick(channelId: string, click: { timestampMs: number; receivedAt: number; clickId?: string; trackingToken?: string }): Promise<boolean> {
      const at = click.timestampMs > 0 ? click.timestampMs : click.receivedAt;
      const member = click.clickId ?? `${at}:${click.trackingToken ?? ''}`;
      const key = keys.channelClicks(channelId);
      // Kept 60 days: longer than any campaign's TTL (30 days) plus its attribution window.
      const results = await redis.multi().zadd(key, 'NX', at, member).zremrangebyscore(key, '-inf', at - CLICK_RETENTION_MS).exec();
      return results?.[0]?.[1] === 1;
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
  };
  return store;
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
