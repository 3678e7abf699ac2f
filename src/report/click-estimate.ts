/**
 * Clicks of a campaign, estimated. Meta's MM Lite click webhook names no recipient, message,
 * template or campaign (whatsapp-api.md §9), so the exact count is per channel. A campaign's share
 * is estimated by time window: each click on the channel goes to the campaigns that were sending
 * MM Lite messages on it within the window before the click, split by how many each sent through
 * MM Lite. With one campaign at a time on a channel the estimate is exact; with overlapping
 * campaigns it is a proportional share, and the report says so.
 */
import type { Campaign, Counts } from '../shared/campaign.ts';
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';

/** How long after a campaign's last send a click is still counted for it: Meta reports clicks for 7 days. */
export const CLICK_WINDOW_MS = 7 * 24 * 3_600_000;

/** A campaign that may have caused a click: its sending window and its MM Lite sends. */
export type ClickCandidate = { id: string; from: number; to: number; liteSent: number };

export type ClickEstimate = {
  /** Clicks attributed to this campaign (a share may be fractional; rounded to 0.1). */
  estimated: number;
  /** Clicks on the channel within this campaign's window (exact). */
  channelClicks: number;
  /** Other campaigns on the channel whose windows overlap this one's. */
  overlapping: number;
  /** How the estimate was made, in words. */
  method: string;
};

/** The window in which a campaign's MM Lite messages may be clicked. */
export function clickWindow(campaign: Pick<Campaign, 'startedAt' | 'finishedAt' | 'startAt'>, now: number): { from: number; to: number } {
  // Meta's timestamps are whole seconds: a click in the campaign's first second may read earlier.
  const from = (campaign.startedAt ?? campaign.startAt) - 1_000;
  return { from, to: (campaign.finishedAt ?? now) + CLICK_WINDOW_MS };
}

/** Shares each click among the candidates whose window holds it, by MM Lite sends. Pure. */
export function estimateClicks(own: ClickCandidate, others: readonly ClickCandidate[], clickTimes: readonly number[]): ClickEstimate {
  let estimated = 0;
  let channelClicks = 0;
  for (const at of clickTimes) {
    if (at < own.from || at > own.to || own.liteSent === 0) continue;
    channelClicks += 1;
    const rivals = others.filter((o) => o.liteSent > 0 && at >= o.from && at <= o.to).reduce((sum, o) => sum + o.liteSent, 0);
    estimated += own.liteSent / (own.liteSent + rivals);
  }
  const overlapping = others.filter((o) => o.liteSent > 0 && o.from <= own.to && o.to >= own.from).length;
  const method =
    overlapping === 0
      ? 'MM Lite clicks on the channel from the campaign start to 7 days after its last send; no other campaign sent MM Lite on the channel then, so every such click is counted'
      : `MM Lite clicks on the channel from the campaign start to 7 days after its last send, each shared with the ${overlapping} other campaign(s) sending MM Lite on the channel at the time, in proportion to MM Lite messages sent`;
  return { estimated: Math.round(estimated * 10) / 10, channelClicks, overlapping, method };
}

/** Reads the channel's clicks and the campaigns on it, and estimates this campaign's clicks. */
export async function campaignClickEstimate(
  deps: { redis: Redis; keys: Keys; campaigns: { get(id: string): Promise<Campaign | undefined>; counts(id: string): Promise<Counts> } },
  campaign: Campaign,
  counts: Pick<Counts, 'sentLite'>,
  now = Date.now(),
): Promise<ClickEstimate> {
  const window = clickWindow(campaign, now);
  const own: ClickCandidate = { id: campaign.id, ...window, liteSent: counts.sentLite };
  const times = (await deps.redis.zrangebyscore(deps.keys.channelClicks(campaign.channelId), window.from, window.to, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
  const others: ClickCandidate[] = [];
  if (times.length > 0) {
    // Campaigns created after this one's window closed cannot overlap it; the newest 1,000 suffice.
    for (const id of await deps.redis.zrevrange(deps.keys.campaigns, 0, 999)) {
      if (id === campaign.id) continue;
      const other = await deps.campaigns.get(id);
      if (!other || other.channelId !== campaign.channelId || other.route === 'cloud' || other.startedAt === undefined) continue;
      const otherWindow = clickWindow(other, now);
      if (otherWindow.from > window.to || otherWindow.to < window.from) continue;
      others.push({ id, ...otherWindow, liteSent: (await deps.campaigns.counts(id)).sentLite });
    }
  }
  return estimateClicks(own, others, times);
}
