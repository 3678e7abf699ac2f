/**
 * Fairness across channels: caps how many batches of one channel run at once, across every
 * worker, at about what the channel's rate can use. Without it, a slow channel with many queued
 * batches would fill every worker's slots while faster channels' batches wait behind it.
 * Each running batch holds a lease in a per-channel sorted set; a crashed worker's lease expires.
 */
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';

/** Lua: KEYS: the channel's lease set. ARGV: now, stale-before, lease id, limit, key ttl. 1 = admitted. */
const ADMIT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

/** Requests in flight a channel needs to use its rate, assuming answers within half a second. */
const ASSUMED_LATENCY_S = 0.5;

/** Batches of one channel allowed at once: enough in-flight sends for its rate, and at least two. */
export function batchesPerChannel(mps: number, parallelism: number): number {
  return Math.max(2, Math.ceil((mps * ASSUMED_LATENCY_S) / parallelism));
}

type AdmissionRedis = Redis & { litecastAdmit(key: string, now: string, staleBefore: string, lease: string, limit: string, ttl: string): Promise<number> };

export function createChannelAdmission(redis: Redis, keys: Keys, leaseMs: number) {
  const r = redis as AdmissionRedis;
  if (typeof r.litecastAdmit !== 'function') redis.defineCommand('litecastAdmit', { numberOfKeys: 1, lua: ADMIT });
  const key = (channelId: string) => keys.channelActiveBatches(channelId);
  const admit = async (channelId: string, lease: string, limit: number) => {
    const now = Date.now();
    return (await r.litecastAdmit(key(channelId), String(now), String(now - leaseMs), lease, String(limit), String(leaseMs * 4))) === 1;
  };
  return {
    /** Takes a slot for this batch (or renews it); false when the channel has its share running. */
    admit,
    /** Keeps the lease fresh while a long batch runs. */
    renew: (channelId: string, lease: string) => admit(channelId, lease, Number.MAX_SAFE_INTEGER),
    async release(channelId: string, lease: string): Promise<void> {
      await redis.zrem(key(channelId), lease);
    },
  };
}

export type ChannelAdmission = ReturnType<typeof createChannelAdmission>;
