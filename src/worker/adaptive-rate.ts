/**
 * The adaptive rate of one channel as every worker shares it: the control law's state
 * (rate-control.ts) in one Redis hash beside the channel's limiter keys (same hash tag, so it
 * works on Redis Cluster), a decrease stored at most once per window across workers (a Lua
 * script), and a local tick that re-reads the state and hands the current rate to the limiter
 * (which updates Bottleneck's minTime) while it recovers. Each worker also counts its own answers
 * over the last window: its refused share estimates the channel's, with no Redis call per message.
 */
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import { defineScripts } from '../shared/redis-scripts.ts';
import { afterThrottle, currentRate, initialRateState, type RateLaw, type RateState, type WindowCounts } from './rate-control.ts';

const SCRIPTS = { cutRate: new URL('./cut-rate-1.lua', import.meta.url) };

/** How often a worker re-reads the shared state (and applies the recovered rate). */
const TICK_MS = 250;
/** A channel idle this long forgets its throttles and starts at its ceiling again. */
const STATE_TTL_MS = 10 * 60_000;
/** Buckets of the local answer window. */
const BUCKETS = 10;

export type AdaptiveRate = {
  /** The rate to pace at now (msg/s). */
  rate(): number;
  /**
   * Counts one answer of this worker (throttled or not) in the local window; an answer to a request
   * posted (`sentAt`) before the last cut says nothing about the new rate and is left out.
   */
  recordAnswer(throttled: boolean, sentAt?: number): void;
  /** A throttle signal: lowers the shared rate when the law says so; `blind` = no local counts apply (a webhook). */
  throttled(blind?: boolean): Promise<void>;
  /** The local window's counts (for metrics). */
  window(): WindowCounts;
  close(): void;
};

function parseState(raw: Record<string, string>): RateState | undefined {
  const rate = Number(raw.rate);
  const at = Number(raw.at);
  if (!Number.isFinite(rate) || !Number.isFinite(at) || raw.rate === undefined) return undefined;
  const knee = Number(raw.knee);
  return { rate, at, lastCutAt: Number(raw.lastCutAt ?? 0) || 0, knee: Number.isFinite(knee) ? knee : rate };
}

/** Lowers a channel's shared rate from outside a limiter (a webhook's throttle signal); the workers' ticks pick it up. */
export async function cutRateBlind(redis: Redis, keys: Keys, channelId: string, law: RateLaw, now = Date.now()): Promise<boolean> {
  const run = defineScripts(redis, SCRIPTS);
  const key = keys.channelRate(channelId);
  const state = parseState(await redis.hgetall(key)) ?? initialRateState(law, now);
  const next = afterThrottle(state, law, now);
  if (!next) return false;
  return (await run('cutRate', [key], [String(next.rate), String(now), String(now - law.windowMs), String(STATE_TTL_MS), String(next.knee)])) === 1;
}

/** Creates the adapter for one channel; `apply` gets every change of the current rate. */
export function createAdaptiveRate(deps: { redis: Redis; keys: Keys; channelId: string; law: RateLaw; apply: (rate: number) => void; now?: () => number; onError?: (error: unknown) => void }): AdaptiveRate {
  const now = deps.now ?? Date.now;
  const { law } = deps;
  const run = defineScripts(deps.redis, SCRIPTS);
  const key = deps.keys.channelRate(deps.channelId);
  let state = initialRateState(law, now());
  let applied = law.ceiling;
  const bucketMs = law.windowMs / BUCKETS;
  const answered = new Array<number>(BUCKETS).fill(0);
  const refused = new Array<number>(BUCKETS).fill(0);
  let bucketAt = Math.floor(now() / bucketMs);

  function roll(): number {
    const current = Math.floor(now() / bucketMs);
    for (let b = bucketAt + 1; b <= current && b <= bucketAt + BUCKETS; b++) {
      answered[b % BUCKETS] = 0;
      refused[b % BUCKETS] = 0;
    }
    bucketAt = current;
    return current % BUCKETS;
  }

  function publish(): void {
    const rate = currentRate(state, law, now());
    // Bottleneck's settings live in Redis: change them only when the pace moved noticeably.
    if (Math.abs(rate - applied) >= Math.max(0.5, applied * 0.005) || (rate === law.ceiling && applied !== law.ceiling)) {
      applied = rate;
      deps.apply(rate);
    }
  }

  /** After a cut the window starts over: answers to requests paced at the old rate say nothing about the new one. */
  function clearWindow(): void {
    answered.fill(0);
    refused.fill(0);
  }

  async function refresh(): Promise<void> {
    const stored = parseState(await deps.redis.hgetall(key));
    if (stored && stored.lastCutAt > state.lastCutAt) clearWindow();
    state = stored ?? initialRateState(law, now());
    publish();
  }

  const timer = setInterval(() => void refresh().catch((error: unknown) => deps.onError?.(error)), TICK_MS);
  timer.unref();
  void refresh().catch((error: unknown) => deps.onError?.(error));

  const counts = (): WindowCounts => {
    roll();
    return { answered: answered.reduce((a, b) => a + b, 0), refused: refused.reduce((a, b) => a + b, 0) };
  };

  return {
    rate: () => applied,
    recordAnswer(throttled, sentAt) {
      if (sentAt !== undefined && sentAt < state.lastCutAt) return;
      const b = roll();
      answered[b] = (answered[b] ?? 0) + 1;
      if (throttled) refused[b] = (refused[b] ?? 0) + 1;
    },
    async throttled(blind = false) {
      const at = now();
      const next = afterThrottle(state, law, at, blind ? undefined : counts());
      if (!next) return;
      const stored = (await run('cutRate', [key], [String(next.rate), String(at), String(at - law.windowMs), String(STATE_TTL_MS), String(next.knee)])) === 1;
      if (stored) {
        state = next;
        clearWindow();
        publish();
      } else await refresh();
    },
    window: counts,
    close() {
      clearInterval(timer);
    },
  };
}
