/**
 * Counters behind Meta's two rate limits: the per-number throughput (sliding one-second window)
 * and the per-recipient pair limit (token bucket). Both are O(1) amortised per request because
 * the sandbox has to keep up with ~10,000 requests per second.
 */

/** Counts events in a sliding window and remembers the highest count any window reached. */
export interface SlidingWindow {
  /** Records one event at `now` (ms, non-decreasing) and returns the count in (now − windowMs, now]. */
  record(now: number): number;
  /** The count in (now − windowMs, now] without recording anything (`now` non-decreasing as for `record`). */
  count(now: number): number;
  /** Highest count of any window so far. Exact: every window's count peaks at one of its events. */
  readonly max: number;
  /** Events recorded in total. */
  readonly total: number;
}

/** Creates a sliding-window counter backed by a growable ring buffer of timestamps. */
export function createSlidingWindow(windowMs = 1000): SlidingWindow {
  let buffer = new Float64Array(1024);
  let head = 0;
  let size = 0;
  let max = 0;
  let total = 0;
  const expire = (now: number) => {
    const cutoff = now - windowMs;
    while (size > 0 && buffer[head]! <= cutoff) {
      head = (head + 1) % buffer.length;
      size--;
    }
  };
  return {
    count(now) {
      expire(now);
      return size;
    },
    record(now) {
      expire(now);
      if (size === buffer.length) {
        // Unroll the ring into a buffer twice as large; happens log(n) times at most.
        const grown = new Float64Array(buffer.length * 2);
        for (let i = 0; i < size; i++) grown[i] = buffer[(head + i) % buffer.length]!;
        buffer = grown;
        head = 0;
      }
      buffer[(head + size) % buffer.length] = now;
      size++;
      total++;
      if (size > max) max = size;
      return size;
    },
    get max() {
      return max;
    },
    get total() {
      return total;
    },
  };
}

/** Meta's pair rate limit: per (channel, recipient), `burst` messages, then one per `refillSeconds`. */
export interface PairLimiter {
  /** Takes one token for `key` at `now` (ms); false when the bucket is empty (→ 131056). */
  tryTake(key: string, now: number): boolean;
}

// Sweep full buckets now and then so a million one-off recipients do not stay in memory.
const SWEEP_EVERY = 65_536;

/** Creates a pair limiter; a bucket starts full and is forgotten once it has refilled. */
export function createPairLimiter(options: { burst: number; refillSeconds: number }): PairLimiter {
  const refillMs = options.refillSeconds * 1000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let calls = 0;
  const level = (bucket: { tokens: number; at: number }, now: number) =>
    Math.min(options.burst, bucket.tokens + (now - bucket.at) / refillMs);
  return {
    tryTake(key, now) {
      if (++calls % SWEEP_EVERY === 0) {
        for (const [k, bucket] of buckets) if (level(bucket, now) >= options.burst) buckets.delete(k);
      }
      const bucket = buckets.get(key);
      if (bucket === undefined) {
        buckets.set(key, { tokens: options.burst - 1, at: now });
        return true;
      }
      bucket.tokens = level(bucket, now);
      bucket.at = now;
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
