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

export type ErrorSummary = { code: string; count: number; class?: string; meaning?: string };

/** MM Lite against the Cloud API holdout of a `split` campaign. */
export type Comparison = {
  cloudShare: number;
  deliveredRate: RateDifference;
  readRate: RateDifference;
  deliveryMs: { lite: FunnelRow['deliveryMs']; cloud: FunnelRow['deliveryMs'] };
};

export type CampaignReport = CampaignStatus & { cloudShare?: number; errorsByCode: ErrorSummary[]; funnel: Funnel; comparison: Comparison | null; inDoubt: InDoubt | null };

/** The comparison of a split campaign's two groups (null for other campaigns). */
export function compareGroups(funnel: Funnel, cloudShare: number | undefined): Comparison | null {
  if (cloudShare === undefined) return null;
  const { lite, cloud } = funnel;
  return {
    cloudShare,
    deliveredRate: compareRates(lite.delivered, lite.sent, cloud.delivered, cloud.sent),
    readRate: compareRates(lite.read, lite.sent, cloud.read, cloud.sent),
    deliveryMs: { lite: lite.deliveryMs, cloud: cloud.deliveryMs },
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
  return { ...status, errorsByCode, funnel, comparison: compareGroups(funnel, cloudShare), inDoubt };
}
