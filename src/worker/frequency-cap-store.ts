/**
 * The frequency cap at send time: a sorted set per recipient per channel (hash-tagged by channel)
 * logs litecast's marketing sends; take-frequency-cap-1.lua checks and logs in one step.
 */
import type { FrequencyCap } from '../shared/frequency-cap.ts';
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import { defineScripts } from '../shared/redis-scripts.ts';

const SCRIPTS = { take: new URL('./take-frequency-cap-1.lua', import.meta.url) };

/** The cap of one channel as the send loop uses it. */
export type FrequencyCapPort = {
  /** True when `campaignId` may send to `phone` now (the send is logged); false when capped. */
  take(phone: string, campaignId: string): Promise<boolean>;
  /** Forgets a logged send that did not happen (failed, expired, aborted before posting). */
  giveBack(phone: string, campaignId: string): Promise<void>;
};

/** The cap port for a channel's cap, reading the time from `now`. */
export function createFrequencyCapStore(redis: Redis, keys: Keys, channelId: string, cap: FrequencyCap, now: () => number = Date.now): FrequencyCapPort {
  const run = defineScripts(redis, SCRIPTS);
  const key = (phone: string) => keys.channelCapLog(channelId, phone);
  return {
    async take(phone, campaignId) {
      return (await run('take', [key(phone)], [String(now()), String(cap.periodMs), String(cap.max), campaignId])) === 1;
    },
    async giveBack(phone, campaignId) {
      await redis.zrem(key(phone), campaignId);
    },
  };
}
