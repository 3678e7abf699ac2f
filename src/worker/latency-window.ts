/**
 * The recent answer times of one channel in this worker (the last few hundred requests), for the
 * in-flight budget's p95 (Little's law: requests in flight = rate × latency).
 */

export type LatencyWindow = {
  record(ms: number): void;
  /** The 95th percentile of the recent answer times, or `fallbackMs` before any answer. */
  p95(fallbackMs: number): number;
};

/** Keeps the last `size` answer times in a ring; p95 sorts a copy (called once per batch, not per message). */
export function createLatencyWindow(size = 256): LatencyWindow {
  const ring = new Float64Array(size);
  let count = 0;
  let next = 0;
  return {
    record(ms) {
      ring[next] = ms;
      next = (next + 1) % size;
      count = Math.min(size, count + 1);
    },
    p95(fallbackMs) {
      if (count === 0) return fallbackMs;
      const sorted = Array.from(ring.subarray(0, count)).sort((a, b) => a - b);
      return sorted[Math.min(count - 1, Math.floor(count * 0.95))] as number;
    },
  };
}
