/**
 * The full view of one campaign, as `GET /v1/campaigns/:id` and `litecast campaign status --json`
 * both return it: status and counters, errors by code with their class and meaning, and the
 * per-route funnel.
 */
import type { RedisClient as Redis } from './redis.ts';
import { CODE_RULES } from '../dialog360/classify-send-error.ts';
import { campaignFunnel, type Funnel } from './campaign-funnel.ts';
import { campaignStatus, type CampaignStatus } from './campaign-status.ts';
import type { CampaignStore } from './campaign-store.ts';
import type { Keys } from './keys.ts';

export type ErrorSummary = { code: string; count: number; class?: string; meaning?: string };
export type CampaignReport = CampaignStatus & { errorsByCode: ErrorSummary[]; funnel: Funnel };

export async function describeCampaign(deps: { redis: Redis; keys: Keys; campaigns: CampaignStore }, id: string): Promise<CampaignReport> {
  const status = await campaignStatus(deps.campaigns, id);
  const errorsByCode = Object.entries(status.errors)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => {
      const rule = /^\d+$/.test(code) ? CODE_RULES.get(Number(code)) : undefined;
      return { code, count, ...(rule ? { class: rule.class, meaning: rule.reason } : {}) };
    });
  return { ...status, errorsByCode, funnel: await campaignFunnel(deps.redis, deps.keys, id, status.counts) };
}
