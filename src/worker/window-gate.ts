/**
 * The worker's send-window check: a batch's recipients share one time zone (intake groups them),
 * so a batch either runs now or waits for its zone's next window opening.
 */
import type { Campaign } from '../shared/campaign.ts';
import type { CampaignStore } from '../shared/campaign-store.ts';
import { nextWindowOpening, parseSendWindow } from '../shared/send-window.ts';

/** The zone a batch without a stored zone is read in (batches of retries). */
const DEFAULT_ZONE = 'UTC';

/**
 * When the batch may run, if not now: its zone's next window opening; undefined when the campaign
 * has no window or the window is open at `now`.
 */
export async function windowOpeningFor(campaigns: Pick<CampaignStore, 'batchZone'>, campaign: Campaign, batchIndex: number, now: number): Promise<number | undefined> {
  if (!campaign.sendWindow) return undefined;
  const zone = (await campaigns.batchZone(campaign.id, batchIndex)) ?? DEFAULT_ZONE;
  const opening = nextWindowOpening(parseSendWindow(campaign.sendWindow), zone, now);
  return opening > now ? opening : undefined;
}
