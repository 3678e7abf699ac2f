/**
 * What a user can do to a running campaign: pause, resume, cancel. A pause stops sends within a
 * second (workers park their batches); resume and cancel re-enqueue the parked batches, which
 * workers then continue (resume) or close out as `cancelled` (cancel).
 */
import type { Queue } from 'bullmq';
import type { CampaignState } from '../shared/campaign.ts';
import type { CampaignStore } from '../shared/campaign-store.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { batchJobId, enqueueBatches, type BatchJobData } from '../shared/send-queue.ts';

export type ActionDeps = { campaigns: CampaignStore; queue: Queue<BatchJobData>; ledger?: Ledger };

/** Re-enqueues every parked batch under a new generation of job ids. */
export async function requeueParked(deps: ActionDeps, campaignId: string): Promise<number> {
  const parked = await deps.campaigns.takeParked(campaignId);
  if (parked.length === 0) return 0;
  const generation = await deps.campaigns.nextGeneration(campaignId);
  const priority = (await deps.campaigns.get(campaignId))?.priority;
  await enqueueBatches(deps.queue, campaignId, parked, { generation, ...(priority ? { priority } : {}) });
  return parked.length;
}

export async function pauseCampaign(deps: ActionDeps, campaignId: string, reason = 'paused by user'): Promise<CampaignState> {
  return deps.campaigns.transition(campaignId, 'pause', reason);
}

export async function resumeCampaign(deps: ActionDeps, campaignId: string): Promise<CampaignState> {
  const previous = await deps.campaigns.transition(campaignId, 'resume');
  await requeueParked(deps, campaignId);
  return previous;
}

export async function cancelCampaign(deps: ActionDeps, campaignId: string): Promise<CampaignState> {
  const previous = await deps.campaigns.transition(campaignId, 'cancel');
  await requeueParked(deps, campaignId);
  if (previous === 'scheduled' && deps.ledger) await closeOutDelayed({ ...deps, ledger: deps.ledger }, campaignId);
  return previous;
}

/**
 * A cancelled campaign that had not started: its batch jobs wait (delayed) until `startAt`, and its
 * recipients would show `pending` until then. Removes the still-delayed jobs and moves their
 * recipients to `cancelled` now, as a worker would. Jobs already picked up are left to the workers.
 */
async function closeOutDelayed(deps: ActionDeps & { ledger: Ledger }, campaignId: string): Promise<void> {
  const campaign = await deps.campaigns.require(campaignId);
  for (let index = 0; index < campaign.batches; index += 1) {
    const job = await deps.queue.getJob(batchJobId(campaignId, index));
    if (!job || !(await job.isDelayed())) continue;
    // remove() fails if a worker locked the job meanwhile: then the worker closes it out.
    const removed = await job.remove().then(() => true, () => false);
    if (!removed) continue;
    const recipients = await deps.campaigns.loadBatch(campaignId, index);
    const entries = await deps.ledger.entries(campaignId, recipients.map((r) => r.p));
    for (const [i, recipient] of recipients.entries()) {
      if (entries[i]?.state === 'pending') await deps.ledger.commit(campaignId, recipient.p, undefined, { outcome: 'cancelled' });
    }
  }
}
