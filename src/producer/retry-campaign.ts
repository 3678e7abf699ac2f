/**
 * "Send again to the recipients whose last error can succeed later": failures that were still
 * transient when the retries ran out (class retry or throttle) and Meta's per-user marketing cap
 * (131049, which lifts after a day). Never a recipient already sent, and never an `unknown` one
 * (it may have been sent).
 */
import type { CampaignStore, BatchRecipient } from '../shared/campaign-store.ts';
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import type { Ledger, LedgerEntry } from '../ledger/ledger.ts';
import { allowsRetry, TRANSITIONS } from '../shared/campaign-lifecycle.ts';
import { LitecastError } from '../shared/errors.ts';
import { enqueueBatches, type BatchJobData } from '../shared/send-queue.ts';
import type { Queue } from 'bullmq';

/** Codes of class `recipient` that can succeed later. */
const RETRIABLE_RECIPIENT_CODES: ReadonlySet<string> = new Set(['131049']);

export function canSucceedLater(entry: LedgerEntry): boolean {
  return entry.state === 'failed' && (entry.verdictClass === 'retry' || entry.verdictClass === 'throttle' || RETRIABLE_RECIPIENT_CODES.has(entry.code));
}

export type RetryDeps = { redis: Redis; keys: Keys; campaigns: CampaignStore; ledger: Ledger; queue: Queue<BatchJobData> };

export async function retryCampaign(deps: RetryDeps, campaignId: string): Promise<{ requeued: number; batches: number }> {
  const campaign = await deps.campaigns.require(campaignId);
  if (!allowsRetry(campaign.state)) {
    throw new LitecastError('LITECAST_ERR_INVALID_STATE', `Cannot retry campaign "${campaignId}": it is ${campaign.state} (retry works when it is completed or running; resume a paused one first).`);
  }
  const batchCache = new Map<number, Map<string, BatchRecipient>>();
  const recipientOf = async (phone: string): Promise<BatchRecipient | undefined> => {
    const index = Number(await deps.redis.hget(deps.keys.campaignRecipients(campaignId), phone));
    if (!batchCache.has(index)) batchCache.set(index, new Map((await deps.campaigns.loadBatch(campaignId, index)).map((r) => [r.p, r])));
    return batchCache.get(index)?.get(phone);
  };

  const reopened: BatchRecipient[] = [];
  for await (const [phone, entry] of deps.ledger.scan(campaignId)) {
    if (entry.state !== 'failed' || !canSucceedLater(entry)) continue;
    const recipient = await recipientOf(phone);
    if (recipient && (await deps.ledger.reopen(campaignId, phone, entry))) reopened.push(recipient);
  }
  if (reopened.length === 0) return { requeued: 0, batches: 0 };

  const first = campaign.batches;
  const indexes: number[] = [];
  for (let i = 0; i < reopened.length; i += campaign.batchSize) {
    const index = first + indexes.length;
    await deps.campaigns.storeRetryBatch(campaignId, index, reopened.slice(i, i + campaign.batchSize));
    indexes.push(index);
  }
  if (campaign.state !== TRANSITIONS.retry.to) await deps.campaigns.transition(campaignId, 'retry');
  await enqueueBatches(deps.queue, campaignId, indexes, { generation: await deps.campaigns.nextGeneration(campaignId) });
  return { requeued: reopened.length, batches: indexes.length };
}
