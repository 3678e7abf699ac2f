/**
 * What a user can do to a running campaign: pause, resume, cancel. A pause stops sends within a
 * second (workers park their batches); resume and cancel re-enqueue the parked batches, which
 * workers then continue (resume) or close out as `cancelled` (cancel).
 */
import type { Queue } from 'bullmq';
import type { CampaignState } from '../shared/campaign.ts';
import type { CampaignStore } from '../shared/campaign-store.ts';
import { enqueueBatches, type BatchJobData } from '../shared/send-queue.ts';

export type ActionDeps = { campaigns: CampaignStore; queue: Queue<BatchJobData> };

/** Re-enqueues every parked batch under a new generation of job ids. */
export async function requeueParked(deps: ActionDeps, campaignId: string): Promise<number> {
  const parked = await deps.campaigns.takeParked(campaignId);
  if (parked.length === 0) return 0;
  const generation = await deps.campaigns.nextGeneration(campaignId);
  await enqueueBatches(deps.queue, campaignId, parked, { generation });
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
  return previous;
}
