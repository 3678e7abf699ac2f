/**
 * How long a batch steps aside when its channel already has its share of batches running
 * (channel-admission.ts), so other channels' batches get the worker slots meanwhile.
 */

/** Longest a batch steps aside: the channel's running batches may take much longer to finish. */
const MAX_DELAY_MS = 5_000;

/**
 * About half the time the channel needs to send one batch (with jitter so that the waiting batches
 * do not come back together), at least 100 ms, at most 5 s.
 */
export function fairnessDelay(batchSize: number, mps: number, random: () => number = Math.random): number {
  const batchSeconds = batchSize / mps;
  return Math.min(MAX_DELAY_MS, 100 + batchSeconds * 500 * (1 + random()));
}
