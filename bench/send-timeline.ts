/**
 * Pure analysis of when messages were accepted: the steady-state rate (ramp-up and ramp-down cut
 * off), the busiest sliding one-second window, and a per-second series for the results file.
 */

export type Timeline = {
  messages: number;
  /** From the first to the last message, in seconds. */
  spanSeconds: number;
  /** Messages per second between first + `trimMs` and last − `trimMs`; null when that leaves nothing. */
  steadyRate: number | null;
  steadySeconds: number;
  /** Highest number of messages in any sliding window of 1000 ms. */
  maxInAnySecond: number;
  /** Messages in each whole second from the first message. */
  perSecond: number[];
};

/**
 * @param times acceptance times in ms (any order)
 * @param trimMs how much of each end to drop as ramp-up / ramp-down (issue 6: one second)
 */
export function analyzeTimeline(times: readonly number[], trimMs = 1_000): Timeline {
  const sorted = Float64Array.from(times).sort();
  const n = sorted.length;
  if (n === 0) return { messages: 0, spanSeconds: 0, steadyRate: null, steadySeconds: 0, maxInAnySecond: 0, perSecond: [] };
  const first = sorted[0] as number;
  const last = sorted[n - 1] as number;
  const from = first + trimMs;
  const to = last - trimMs;
  let steadyRate: number | null = null;
  if (to > from) {
    let inside = 0;
    for (const t of sorted) if (t >= from && t < to) inside++;
    steadyRate = inside / ((to - from) / 1000);
  }
  // Two pointers: the window (t − 1000, t] ending at each message.
  let maxInAnySecond = 0;
  for (let i = 0, j = 0; i < n; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= 1000) j++;
    maxInAnySecond = Math.max(maxInAnySecond, i - j + 1);
  }
  const perSecond = new Array<number>(Math.floor((last - first) / 1000) + 1).fill(0);
  for (const t of sorted) {
    const s = Math.floor((t - first) / 1000);
    perSecond[s] = (perSecond[s] ?? 0) + 1;
  }
  return { messages: n, spanSeconds: (last - first) / 1000, steadyRate, steadySeconds: Math.max(0, (to - from) / 1000), maxInAnySecond, perSecond };
}
