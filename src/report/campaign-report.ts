/**
 * The full view of one campaign, as `GET /v1/campaigns/:id` and `litecast campaign status --json`
 * both return it: status and counters, errors by code with their class and meaning, the
 * per-route funnel, and for a split campaign the comparison of MM Lite with the holdout.
 */
import { CODE_RULES } from '../dialog360/classify-send-error.ts';
import { campaignFunnel, type Funnel, type FunnelRow } from '../shared/campaign-funnel.ts';
import { campaignStatus, type CampaignStatus } from '../shared/campaign-status.ts';
import type { CampaignStore } from '../shared/campaign-store.ts';
import { compareRates, type RateDifference } from '../shared/compare-rates.ts';
import type { Config } from '../shared/config.ts';
import { inDoubtSummary, type InDoubt } from '../shared/in-doubt.ts';
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import { campaignClickEstimate, type ClickEstimate } from './click-estimate.ts';
import { readSendSeries } from '../shared/send-series.ts';

export type ErrorSummary = { code: string; count: number; class?: string; meaning?: string };

/** MM Lite against the Cloud API holdout of a `split` campaign. */
export type Comparison = {
  cloudShare: number;
  deliveredRate: RateDifference;
  readRate: RateDifference;
  deliveryMs: { lite: FunnelRow['deliveryMs']; cloud: FunnelRow['deliveryMs'] };
  /**
   * Holdout messages sent to `/messages` that Meta priced `marketing_lite`: 360dialog's smart
   * routing sent them through MM Lite, so the comparison partly compares MM Lite with itself.
   * null when none was (as far as the priced webhooks tell).
   */
  contamination: Contamination | null;
};

/** Sends per second over time against the channel's limit: its limit and [epoch second, sends] pairs. */
export type PaceSeries = { mps: number; perSecond: Array<[number, number]> } | null;

/** How many of the Cloud API group went out through MM Lite after all, and what that means. */
export type Contamination = { viaLite: number; of: number; warning: string };

export type CampaignReport = CampaignStatus & {
  cloudShare?: number;
  errorsByCode: ErrorSummary[];
  funnel: Funnel;
  comparison: Comparison | null;
  /** Sent to `/messages` but delivered by MM Lite (smart routing): set for any campaign with some. */
  contamination: Contamination | null;
  /** The campaign's clicks: an estimate from the channel's clicks (Meta's clicks name no recipient). */
  clicks: ClickEstimate;
  inDoubt: InDoubt | null;
  /** Sends per second over time against the channel's limit (the workers record it; null before any send). */
  pace: PaceSeries;
};

/** Describes holdout messages that MM Lite delivered; null when there are none. */
export function contaminationOf(viaLite: number, cloudSent: number): Contamination | null {
  if (viaLite <= 0) return null;
  return {
    viaLite,
    of: cloudSent,
    warning:
      `${viaLite} of ${cloudSent} messages sent to the Cloud API (/messages) were delivered through MM Lite (priced marketing_lite): ` +
      `360dialog's smart routing sends marketing templates on /messages through MM unless the number opted out, so this comparison is contaminated ` +
      `and understates any difference. Ask 360dialog support to opt the number out of smart routing for a clean holdout.`,
  };
}

/** The comparison of a split campaign's two groups (null for other campaigns). */
export function compareGroups(funnel: Funnel, cloudShare: number | undefined, cloudViaLite = 0): Comparison | null {
  if (cloudShare === undefined) return null;
  const { lite, cloud } = funnel;
  return {
    cloudShare,
    deliveredRate: compareRates(lite.delivered, lite.sent, cloud.delivered, cloud.sent),
    readRate: compareRates(lite.read, lite.sent, cloud.read, cloud.sent),
    deliveryMs: { lite: lite.deliveryMs, cloud: cloud.deliveryMs },
    contamination: contaminationOf(cloudViaLite, cloud.sent),
  };
}

/** The quiet period when no config is given (`LITECAST_UNKNOWN_QUIET_MINUTES`' default). */
const DEFAULT_QUIET_MS = 15 * 60_000;

export async function describeCampaign(deps: { redis: Redis; keys: Keys; campaigns: CampaignStore; config?: Pick<Config, 'unknownQuietMs'> }, id: string): Promise<CampaignReport> {
  const status = await campaignStatus(deps.campaigns, id);
  const finishedAt = status.finishedAt === undefined ? undefined : Date.parse(status.finishedAt);
  const inDoubt = inDoubtSummary({ id, ...(finishedAt !== undefined ? { finishedAt } : {}) }, status.counts.unknown, deps.config?.unknownQuietMs ?? DEFAULT_QUIET_MS);
  const errorsByCode = Object.entries(status.errors)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => {
      const rule = /^\d+$/.test(code) ? CODE_RULES.get(Number(code)) : undefined;
      return { code, count, ...(rule ? { class: rule.class, meaning: rule.reason } : {}) };
    });
  const funnel = await campaignFunnel(deps.redis, deps.keys, id, status.counts);
  const cloudShare = status.route === 'split' ? status.cloudShare : undefined;
  const cloudViaLite = Number((await deps.redis.hget(deps.keys.campaignFunnel(id), 'cloud:viaLite')) ?? 0);
  const clicks = await campaignClickEstimate(deps, await deps.campaigns.require(id), status.counts);
  // The clicked column shows the estimate (per-recipient clicks do not exist in Meta's webhooks).
  const clicked = Math.round(clicks.estimated);
  funnel.lite = { ...funnel.lite, clicked, clickRate: funnel.lite.sent > 0 ? Math.round((clicked / funnel.lite.sent) * 10_000) / 10_000 : null };
  const counts = { ...status.counts, clicked };
  const comparison = compareGroups(funnel, cloudShare, cloudViaLite);
  const pace = await readSendSeries(deps.redis, deps.keys, id);
  return { ...status, counts, errorsByCode, funnel, comparison, contamination: contaminationOf(cloudViaLite, funnel.cloud.sent), clicks, inDoubt, pace };
}
