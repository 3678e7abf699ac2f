/**
 * The BullMQ queue of batches. One queue for every campaign; a job is one batch, named by a
 * deterministic id, so enqueuing the same batch twice adds nothing.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { jobPriority } from './batch-priority.ts';
import type { CampaignPriority } from './campaign.ts';
import type { Keys } from './keys.ts';

/** `priority`: the campaign's base BullMQ priority, kept so aging can compute how far a batch has moved up. */
export type BatchJobData = { campaignId: string; batchIndex: number; priority?: number };

/** Job options every batch gets: a few retries for unexpected errors, and a bounded history. */
export const BATCH_JOB_OPTIONS: JobsOptions = {
  attempts: 25,
  backoff: { type: 'exponential', delay: 1_000 },
  // Kept a week so a second enqueue of the same campaign still finds them and adds nothing.
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/** `<campaign>-b<index>` for the first run; `-g<n>` after the n-th resume. BullMQ forbids ':' in ids. */
export function batchJobId(campaignId: string, batchIndex: number, generation = 0): string {
  return generation === 0 ? `${campaignId}-b${batchIndex}` : `${campaignId}-b${batchIndex}-g${generation}`;
}

export function createSendQueue(connection: ConnectionOptions, keys: Keys): Queue<BatchJobData> {
  return new Queue<BatchJobData>(keys.sendQueue, { connection, prefix: keys.queuePrefix, defaultJobOptions: BATCH_JOB_OPTIONS });
}

/**
 * Adds batch jobs (in chunks), delayed until `startAt` when that is in the future, at the
 * campaign's priority (batch-priority.ts; `normal` when not given: every batch needs one).
 */
export async function enqueueBatches(
  queue: Queue<BatchJobData>,
  campaignId: string,
  batchIndexes: readonly number[],
  options: { generation?: number; startAt?: number; now?: number; priority?: CampaignPriority } = {},
): Promise<void> {
  const delay = Math.max(0, (options.startAt ?? 0) - (options.now ?? Date.now()));
  const priority = jobPriority(options.priority);
  for (let i = 0; i < batchIndexes.length; i += 500) {
    await queue.addBulk(
      batchIndexes.slice(i, i + 500).map((batchIndex) => ({
        name: 'batch',
        data: { campaignId, batchIndex, priority },
        opts: { jobId: batchJobId(campaignId, batchIndex, options.generation), priority, ...(delay > 0 ? { delay } : {}) },
      })),
    );
  }
}
