/**
 * What a running campaign's status says about timing: how many pending recipients wait for their
 * send window, how many would expire, and when the last would be sent. The pending recipients are
 * spread over the zones in the proportions intake counted (which zone's recipients are still
 * pending is not counted per zone). Pure: the moment is an argument.
 */
import { campaignDeadline, type Campaign } from './campaign.ts';
import { estimateDeadline } from './deadline-estimate.ts';
import { isWindowOpen, parseSendWindow } from './send-window.ts';

export type TimingProjection = { waitingForWindow: number; projectedExpiries: number; finishInSeconds: number | null };

/** Projects a campaign's remaining `pending` recipients at its preflight rate from `now`. */
export function projectTiming(campaign: Pick<Campaign, 'sendWindow' | 'startAt' | 'ttlSeconds' | 'preflightMps'>, zones: ReadonlyMap<string, number>, pending: number, now: number): TimingProjection {
  const window = campaign.sendWindow ? parseSendWindow(campaign.sendWindow) : undefined;
  const kept = [...zones.values()].reduce((sum, n) => sum + n, 0);
  const groups = window && kept > 0 ? [...zones].map(([zone, n]) => ({ zone, recipients: Math.round((n * pending) / kept) })) : [{ zone: 'UTC', recipients: pending }];
  const waiting = window ? groups.filter((g) => !isWindowOpen(window, g.zone, now)).reduce((sum, g) => sum + g.recipients, 0) : 0;
  const from = Math.max(now, campaign.startAt);
  const estimate = estimateDeadline({ from, deadline: campaignDeadline(campaign), mps: campaign.preflightMps ?? 1, queuedAhead: 0, groups, ...(window ? { window } : {}) });
  return {
    waitingForWindow: Math.min(pending, waiting),
    projectedExpiries: Math.min(pending, estimate.expiring),
    finishInSeconds: estimate.finishAt === null ? null : Math.max(0, Math.ceil((estimate.finishAt - now) / 1000)),
  };
}
