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

/** Ratio between consecutive latency histogram buckets. */
export const LATENCY_BUCKET_RATIO = 1.25;

const SCRIPTS = { applyEvent: new URL('./apply-event-3.lua', import.meta.url) };

export type ApplyResult = 'OK' | 'DUP' | 'NOT_YET' | 'NO_SEND';
export type DeliveryKind = 'sent' | 'delivered' | 'read' | 'failed' | 'click';

/** A recipient's delivery record, as kept in the campaign's events hash. */
export type DeliveryRecord = { g?: 'lite' | 'cloud' | 'fallback' | 'liteViaCloud'; d?: number; r?: number; c?: number; f?: string };

/** How often apply() re-reads a recipient whose `unknown` changed while it was being confirmed. */
const CONFIRM_ATTEMPTS = 3;

/** The webhook side of a namespace: apply events, find a wamid's recipient, suppress, keep the unmatched. */
export function createWebhookStore(redis: Redis, keys: Keys) {
  const run = defineScripts(redis, SCRIPTS);
  const ledger = createLedger(redis, keys);
  const statsKey = keys.webhookStats;
  const unmatchedKey = keys.webhookUnmatched;

  return {
    /**
     * Applies a status or click to a recipient. Its send is read from the ledger: a claim means the
     * send's commit has not landed yet (`NOT_YET`: the job retries); an `unknown` is confirmed as
     * sent first, through the ledger; anything but a send is `NO_SEND`.
     */
    async apply(campaignId: string, phone: string, kind: DeliveryKind, event: { receivedAt: number; category?: string; errorCode?: string; wamid?: string }): Promise<ApplyResult> {
      for (let attempt = 1; ; attempt++) {
        const [entry = { state: 'pending' }] = await ledger.entries(campaignId, [phone]);
        if (entry.state === 'claimed') return 'NOT_YET';
        if (entry.state === 'unknown' && attempt < CONFIRM_ATTEMPTS) {
          // A status for an unknown send: it was accepted after all.
          const route = event.category === 'marketing_lite' ? 'lite' : 'cloud';
          await ledger.confirmUnknown(campaignId, phone, entry, { route, wamid: event.wamid ?? '', acceptedAt: event.receivedAt });
          continue; // read the value back: ours, or the worker's real answer that came first
        }
        if (entry.state !== 'sent') return 'NO_SEND';
        const result = await run(
          'applyEvent',
          [keys.campaignEvents(campaignId), keys.campaignCounts(campaignId), keys.campaignFunnel(campaignId)],
          [
            phone,
            kind,
            String(event.receivedAt),
            event.category ?? '',
            event.errorCode ?? '',
            entry.route,
            entry.fellBack ? '1' : '0',
            entry.acceptedAt ? String(entry.acceptedAt) : '',
            String(LATENCY_BUCKET_RATIO),
          ],
        );
        return result as ApplyResult;
      }
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
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
