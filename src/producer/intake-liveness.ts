/**
 * Which intakes are alive. While an intake reads a campaign's recipients it keeps a short-lived
 * marker fresh; a campaign still `scheduled` without `intakeDoneAt` and without a fresh marker was
 * left by an intake that died (process killed, Redis gone mid-upload) and is removed by the sweep
 * the API runs at start.
 */
import type { CampaignStore } from '../shared/campaign-store.ts';
import type { Keys } from '../shared/keys.ts';
import type { RedisClient } from '../shared/redis.ts';

/** The marker lives this long without renewal; renewed every third of it. */
const MARKER_TTL_MS = 30_000;

/** Marks `campaignId`'s intake as alive until the returned function is called. */
export async function markIntakeAlive(redis: RedisClient, keys: Keys, campaignId: string): Promise<() => Promise<void>> {
  const key = keys.campaignIntakeLive(campaignId);
  await redis.set(key, String(process.pid), 'PX', MARKER_TTL_MS);
  const timer = setInterval(() => void redis.pexpire(key, MARKER_TTL_MS).catch(() => undefined), MARKER_TTL_MS / 3);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await redis.del(key).catch(() => undefined);
  };
}

export type SweepDeps = { redis: RedisClient; keys: Keys; campaigns: CampaignStore };

/** Removes every campaign whose intake died half-way; returns their ids. */
export async function sweepAbandonedIntakes(deps: SweepDeps, pageSize = 500): Promise<string[]> {
  const removed: string[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const { ids } = await deps.campaigns.listIds(offset, pageSize);
    for (const id of ids) {
      const campaign = await deps.campaigns.get(id);
      if (!campaign || campaign.state !== 'scheduled' || campaign.intakeDoneAt !== undefined) continue;
      if ((await deps.redis.exists(deps.keys.campaignIntakeLive(id))) === 1) continue;
      // Batches are numbered from 0 without gaps; the meta does not know how many were written.
      let batches = 0;
      while ((await deps.redis.exists(deps.keys.campaignBatch(id, batches))) === 1) batches += 1;
      await deps.campaigns.remove(id, batches);
      removed.push(id);
    }
    if (ids.length < pageSize) break;
    offset -= removed.filter((id) => ids.includes(id)).length;
  }
  return removed;
}
