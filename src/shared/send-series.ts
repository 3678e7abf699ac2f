/**
 * Sends per second of each campaign, for the report page's pacing chart (throttling and recovery
 * against the limit). Counted in memory and flushed once a second (one pipelined HINCRBY per
 * campaign and second, never a Redis call per message) into a hash beside the campaign's other
 * keys: field = epoch second, plus `mps` (the channel's limit). Bounded: past MAX_SECONDS fields
 * the oldest seconds are dropped.
 */
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';

/** Seconds kept per campaign (two hours of sending). */
export const MAX_SECONDS = 7_200;
const FLUSH_MS = 1_000;
/** How often (in flushes) a campaign's hash is checked against the bound. */
const TRIM_EVERY = 60;

export type SendSeries = {
  /** Counts one accepted send of `campaignId` on a channel of `mps`. */
  record(campaignId: string, mps: number, at?: number): void;
  close(): Promise<void>;
};

export function createSendSeries(deps: { redis: Redis; keys: Keys; onError?: (error: unknown) => void }): SendSeries {
  const pending = new Map<string, { mps: number; seconds: Map<number, number> }>();
  const flushes = new Map<string, number>();

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.entries()];
    pending.clear();
    const pipeline = deps.redis.pipeline();
    for (const [campaignId, { mps, seconds }] of batch) {
      const key = deps.keys.campaignPace(campaignId);
      pipeline.hset(key, 'mps', String(mps));
      for (const [second, count] of seconds) pipeline.hincrby(key, String(second), count);
    }
    await pipeline.exec();
    for (const [campaignId] of batch) {
      const n = (flushes.get(campaignId) ?? 0) + 1;
      flushes.set(campaignId, n);
      if (n % TRIM_EVERY === 0) await trim(deps.keys.campaignPace(campaignId));
    }
  }

  async function trim(key: string): Promise<void> {
    if ((await deps.redis.hlen(key)) <= MAX_SECONDS + 1) return;
    const seconds = (await deps.redis.hkeys(key)).filter((f) => f !== 'mps').map(Number).sort((a, b) => a - b);
    const drop = seconds.slice(0, seconds.length - MAX_SECONDS);
    if (drop.length > 0) await deps.redis.hdel(key, ...drop.map(String));
  }

  const timer = setInterval(() => void flush().catch((error: unknown) => deps.onError?.(error)), FLUSH_MS);
  timer.unref();

  return {
    record(campaignId, mps, at = Date.now()) {
      let entry = pending.get(campaignId);
      if (!entry) {
        entry = { mps, seconds: new Map() };
        pending.set(campaignId, entry);
      }
      const second = Math.floor(at / 1000);
      entry.seconds.set(second, (entry.seconds.get(second) ?? 0) + 1);
    },
    async close() {
      clearInterval(timer);
      await flush().catch((error: unknown) => deps.onError?.(error));
    },
  };
}

/** The stored series of a campaign: its channel's limit and sends per epoch second, in order (null when none). */
export async function readSendSeries(redis: Redis, keys: Keys, campaignId: string): Promise<{ mps: number; perSecond: Array<[number, number]> } | null> {
  const raw = await redis.hgetall(keys.campaignPace(campaignId));
  if (!raw.mps) return null;
  const perSecond = Object.entries(raw)
    .filter(([field]) => field !== 'mps')
    .map(([second, count]): [number, number] => [Number(second), Number(count)])
    .sort((a, b) => a[0] - b[0]);
  return { mps: Number(raw.mps), perSecond };
}
