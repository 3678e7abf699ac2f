/**
 * What to say about `unknown` recipients (a request whose answer never came). A status webhook
 * resolves one into `sent`; when none has come for a quiet period after the campaign's last send
 * (`LITECAST_UNKNOWN_QUIET_MINUTES`, 15 by default), the message was most likely never accepted.
 * The campaign's `finishedAt` stands for its last send: a campaign still sending is not quiet.
 */
import type { Campaign } from './campaign.ts';

/** The verdict shown once the quiet period has passed. */
export const NO_WEBHOOK_VERDICT = 'no webhook: probably not delivered';

export type InDoubt = {
  /** Recipients still `unknown`. */
  unknown: number;
  /** `waiting for webhooks` until the quiet period has passed, then NO_WEBHOOK_VERDICT. */
  verdict: typeof NO_WEBHOOK_VERDICT | 'waiting for webhooks';
  /** When the quiet period ends (or ended); absent while the campaign is still sending. */
  quietAt?: string;
  /** What the user can do. */
  hint: string;
};

/** True when the quiet period after the campaign's last send has passed. */
export function isQuiet(campaign: Pick<Campaign, 'finishedAt'>, quietMs: number, now = Date.now()): boolean {
  return campaign.finishedAt !== undefined && now >= campaign.finishedAt + quietMs;
}

/** The in-doubt summary of a campaign, or null when it has no `unknown` recipient. */
export function inDoubtSummary(campaign: Pick<Campaign, 'finishedAt' | 'id'>, unknown: number, quietMs: number, now = Date.now()): InDoubt | null {
  if (unknown === 0) return null;
  const quiet = isQuiet(campaign, quietMs, now);
  return {
    unknown,
    verdict: quiet ? NO_WEBHOOK_VERDICT : 'waiting for webhooks',
    ...(campaign.finishedAt !== undefined ? { quietAt: new Date(campaign.finishedAt + quietMs).toISOString() } : {}),
    hint: quiet
      ? `send them again only if a duplicate is acceptable: litecast campaign retry ${campaign.id} --include-unknown (or POST /v1/campaigns/${campaign.id}/retry?includeUnknown=true)`
      : 'a status webhook may still turn them into sent; wait for the quiet period',
  };
}
