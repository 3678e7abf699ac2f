/**
 * "Send again to the recipients whose last error can succeed later": failures that were still
 * transient when the retries ran out (class retry or throttle) and Meta's per-user marketing cap
 * (131049), whether the send answer or a later failed webhook said so, at least 24 hours after the
 * failure and never to US numbers (marketing-cap-retry.ts). Never a recipient delivered; an
 * `unknown` one (it may have been sent) only on explicit request, after the quiet period with no
 * webhook.
 */
import type { CampaignStore, BatchRecipient } from '../shared/campaign-store.ts';
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import type { Ledger, LedgerEntry } from '../ledger/ledger.ts';
import { allowsRetry, TRANSITIONS } from '../shared/campaign-lifecycle.ts';
import { LitecastError } from '../shared/errors.ts';
import { isQuiet } from '../shared/in-doubt.ts';
import { enqueueBatches, type BatchJobData } from '../shared/send-queue.ts';
import { createWebhookStore } from '../webhooks/webhook-store.ts';
import { capRetryDecision } from './marketing-cap-retry.ts';
import type { Queue } from 'bullmq';

/** Meta's per-user marketing cap: lifts after a day, never for US numbers. */
const MARKETING_CAP_CODE = '131049';

export function canSucceedLater(entry: LedgerEntry): boolean {
  return entry.state === 'failed' && (entry.verdictClass === 'retry' || entry.verdictClass === 'throttle' || entry.code === MARKETING_CAP_CODE);
}

export type RetryDeps = { redis: Redis; keys: Keys; campaigns: CampaignStore; ledger: Ledger; queue: Queue<BatchJobData> };

export type RetryOptions = {
  /**
   * Also send again to `unknown` recipients that had no webhook for the quiet period after the
   * campaign's last send. Only on explicit request: a few of them may have arrived, and get it twice.
   */
  includeUnknown?: boolean;
  /** The quiet period (`LITECAST_UNKNOWN_QUIET_MINUTES`), in ms. */
  quietMs?: number;
  now?: number;
};

export type RetryResult = {
  requeued: number;
  batches: number;
  unknownRequeued?: number;
  warning?: string;
  /** 131049 recipients within 24 hours of their failure: when each becomes eligible (earliest first, at most 1,000 listed). */
  waiting?: { count: number; recipients: Array<{ phone: string; eligibleAt: string }> };
  /** 131049 recipients with a US number: never retried. */
  skippedUs?: number;
};

/** Most waiting recipients listed in a retry's answer. */
const WAITING_LISTED = 1_000;

/** Warning that goes with every `--include-unknown` retry. */
export const INCLUDE_UNKNOWN_WARNING = 'unknown recipients had no answer and no webhook: most were never delivered, but a few may have been and will get the message twice.';

export async function retryCampaign(deps: RetryDeps, campaignId: string, options: RetryOptions = {}): Promise<RetryResult> {
  const campaign = await deps.campaigns.require(campaignId);
  const quietMs = options.quietMs ?? 15 * 60_000;
  if (options.includeUnknown && !isQuiet(campaign, quietMs, options.now)) {
    const when = campaign.finishedAt === undefined ? 'after the campaign has finished sending' : `after ${new Date(campaign.finishedAt + quietMs).toISOString()}`;
    throw new LitecastError('LITECAST_ERR_INVALID_STATE', `Cannot include unknown recipients of "${campaignId}" yet: a status webhook may still arrive for them. Try again ${when} (LITECAST_UNKNOWN_QUIET_MINUTES sets the wait).`);
  }
  if (!allowsRetry(campaign.state)) {
    throw new LitecastError('LITECAST_ERR_INVALID_STATE', `Cannot retry campaign "${campaignId}": it is ${campaign.state} (retry works when it is completed or running; resume a paused one first).`);
  }
  const batchCache = new Map<number, Map<string, BatchRecipient>>();
  const zoneCache = new Map<number, string>();
  const recipientOf = async (phone: string): Promise<{ recipient: BatchRecipient; zone: string } | undefined> => {
    const index = Number(await deps.redis.hget(deps.keys.campaignRecipients(campaignId), phone));
    if (!batchCache.has(index)) batchCache.set(index, new Map((await deps.campaigns.loadBatch(campaignId, index)).map((r) => [r.p, r])));
    // With a send window, a retried recipient keeps the time zone of its intake batch.
    if (campaign.sendWindow && !zoneCache.has(index)) zoneCache.set(index, (await deps.campaigns.batchZone(campaignId, index)) ?? '');
    const recipient = batchCache.get(index)?.get(phone);
    return recipient && { recipient, zone: zoneCache.get(index) ?? '' };
  };

  const now = options.now ?? Date.now();
  const webhooks = createWebhookStore(deps.redis, deps.keys);
  // 131049 mostly arrives as a failed status webhook after a 200: the recipient is `sent` in the ledger.
  const lateCapFailures = await webhooks.lateFailures(campaignId, MARKETING_CAP_CODE);
  // A failure whose time was not kept counts from the campaign's end (or now): never too early.
  const fallbackFailedAt = campaign.finishedAt ?? now;
  const waiting: Array<{ phone: string; eligibleAt: number }> = [];
  let skippedUs = 0;
  const byZone = new Map<string, BatchRecipient[]>();
  let unknownRequeued = 0;
  for await (const [phone, entry] of deps.ledger.scan(campaignId)) {
    const lateFailedAt = entry.state === 'sent' ? lateCapFailures.get(phone) : undefined;
    const capped = lateFailedAt !== undefined || (entry.state === 'failed' && entry.code === MARKETING_CAP_CODE);
    const reopenable = (entry.state === 'unknown' && options.includeUnknown === true) || canSucceedLater(entry) || lateFailedAt !== undefined;
    if (!reopenable || (entry.state !== 'failed' && entry.state !== 'unknown' && entry.state !== 'sent')) continue;
    if (capped) {
      const decision = capRetryDecision(phone, lateFailedAt || fallbackFailedAt, now);
      if (decision.retry === 'never') skippedUs += 1;
      if (decision.retry === 'later') waiting.push({ phone, eligibleAt: decision.eligibleAt });
      if (decision.retry !== 'now') continue;
    }
    const found = await recipientOf(phone);
    if (found && (await deps.ledger.reopen(campaignId, phone, entry))) {
      if (entry.state === 'sent') await webhooks.forgetDelivery(campaignId, phone);
      byZone.set(found.zone, [...(byZone.get(found.zone) ?? []), found.recipient]);
      if (entry.state === 'unknown') unknownRequeued += 1;
    }
  }
  waiting.sort((a, b) => a.eligibleAt - b.eligibleAt);
  const unknownPart = {
    ...(options.includeUnknown ? { unknownRequeued, warning: INCLUDE_UNKNOWN_WARNING } : {}),
    ...(waiting.length > 0 ? { waiting: { count: waiting.length, recipients: waiting.slice(0, WAITING_LISTED).map((w) => ({ phone: w.phone, eligibleAt: new Date(w.eligibleAt).toISOString() })) } } : {}),
    ...(skippedUs > 0 ? { skippedUs } : {}),
  };
  const requeued = [...byZone.values()].reduce((sum, list) => sum + list.length, 0);
  if (requeued === 0) return { requeued: 0, batches: 0, ...unknownPart };

  const first = campaign.batches;
  const indexes: number[] = [];
  for (const [zone, reopened] of byZone) {
    for (let i = 0; i < reopened.length; i += campaign.batchSize) {
      const index = first + indexes.length;
      // The zone first: the worker reads it when the batch runs (and waits for the window's opening).
      if (zone) await deps.campaigns.setBatchZone(campaignId, index, zone);
      await deps.campaigns.storeRetryBatch(campaignId, index, reopened.slice(i, i + campaign.batchSize));
      indexes.push(index);
    }
  }
  if (campaign.state !== TRANSITIONS.retry.to) await deps.campaigns.transition(campaignId, 'retry');
  await enqueueBatches(deps.queue, campaignId, indexes, { generation: await deps.campaigns.nextGeneration(campaignId), ...(campaign.priority ? { priority: campaign.priority } : {}) });
  return { requeued, batches: indexes.length, ...unknownPart };
}
