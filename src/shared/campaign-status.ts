/**
 * The status object of a campaign as the CLI (`--json`) and the API return it: state, counters,
 * errors by code, progress rate and ETA.
 */
import type { Campaign, Counts } from './campaign.ts';
import type { CampaignStore } from './campaign-store.ts';
import { projectTiming } from './timing-projection.ts';

export type CampaignStatus = {
  id: string;
  state: Campaign['state'];
  reason?: string;
  channelId: string;
  template: { name: string; language: string };
  route: Campaign['route'];
  cloudShare?: number;
  ttlSeconds?: number;
  createdAt: string;
  startAt: string;
  startedAt?: string;
  finishedAt?: string;
  intakeDone: boolean;
  counts: Counts;
  errors: Record<string, number>;
  /** Recipients finished per second since the campaign started. */
  ratePerSecond: number;
  /** Seconds until nothing is pending at the current rate (and, with a send window, not before the windows allow); null when unknown. */
  etaSeconds: number | null;
  sendWindow?: string;
  priority?: Campaign['priority'];
  /** Pending recipients whose send window is closed now (estimated from the recipients per zone). */
  waitingForWindow: number;
  /** Pending recipients that would expire at the channel's rate and in the windows left before the deadline (the rate the deadline preflight assumed). */
  projectedExpiries: number;
};

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export async function campaignStatus(campaigns: CampaignStore, id: string, now = Date.now()): Promise<CampaignStatus> {
  const campaign = await campaigns.require(id);
  const [counts, errors] = await Promise.all([campaigns.counts(id), campaigns.errors(id)]);
  const finished = counts.total - counts.pending - counts.skipped;
  const elapsed = ((campaign.finishedAt ?? now) - (campaign.startedAt ?? now)) / 1000;
  const ratePerSecond = elapsed > 0 ? Math.round((finished / elapsed) * 10) / 10 : 0;
  const status: CampaignStatus = {
    id,
    state: campaign.state,
    channelId: campaign.channelId,
    template: { name: campaign.template.name, language: campaign.template.language },
    route: campaign.route,
    createdAt: iso(campaign.createdAt) as string,
    startAt: iso(campaign.startAt) as string,
    intakeDone: campaign.intakeDoneAt !== undefined,
    counts,
    errors,
    ratePerSecond,
    waitingForWindow: 0,
    projectedExpiries: 0,
    etaSeconds: counts.pending === 0 ? 0 : ratePerSecond > 0 ? Math.ceil(counts.pending / ratePerSecond) : null,
  };
  if (campaign.reason) status.reason = campaign.reason;
  if (campaign.ttlSeconds !== undefined) status.ttlSeconds = campaign.ttlSeconds;
  if (campaign.cloudShare !== undefined) status.cloudShare = campaign.cloudShare;
  if (campaign.startedAt !== undefined) status.startedAt = iso(campaign.startedAt) as string;
  if (campaign.finishedAt !== undefined) status.finishedAt = iso(campaign.finishedAt) as string;
  if (campaign.sendWindow !== undefined) status.sendWindow = campaign.sendWindow;
  if (campaign.priority !== undefined) status.priority = campaign.priority;
  if (counts.pending > 0 && campaign.preflightMps) {
    const projection = projectTiming(campaign, await campaigns.zoneCounts(id), counts.pending, now);
    status.waitingForWindow = projection.waitingForWindow;
    status.projectedExpiries = projection.projectedExpiries;
    // With a window, recipients wait for their opening: the ETA is not before the projected finish.
    if (campaign.sendWindow && projection.finishInSeconds !== null) status.etaSeconds = Math.max(status.etaSeconds ?? 0, projection.finishInSeconds);
  }
  return status;
}
