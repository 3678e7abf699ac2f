/**
 * Fairness across channels: caps how many batches of one channel run at once, across every
 * worker, at about what the channel's rate can use. Without it, a slow channel with many queued
 * batches would fill every worker's slots while faster channels' batches wait behind it.
 * Each running batch holds a lease in a per-channel sorted set; a crashed worker's lease expires.
 */
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import { defineScripts } from '../shared/redis-scripts.ts';

const SCRIPTS = { admit: new URL('./admit-batch-1.lua', import.meta.url) };

/** Requests in flight a channel needs to use its rate before any latency was measured: answers within half a second. */
const ASSUMED_LATENCY_S = 0.5;

/** The in-flight budget of a channel nobody measured yet. */
export function assumedInFlight(mps: number): number {
  return Math.ceil(mps * ASSUMED_LATENCY_S);
}

/**
 * Sends one batch runs at once: the channel's whole in-flight budget (at least `parallelism`, at
 * most the batch), so the last batch of a campaign, or one batch alone, still keeps the channel
 * busy; the limiter paces them, and lanes waiting for it cost nothing.
 */
export function lanesPerBatch(inFlight: number, batchSize: number, parallelism: number): number {
  return Math.max(1, Math.min(batchSize, Math.max(parallelism, inFlight)));
}

/**
 * Batches of one channel allowed at once across workers: enough lanes for its in-flight budget
 * (rate × recent latency, worker/rate-control.ts), at least two, plus the spare ones. The same budget sizes the
 * lanes, so a slow channel holds only the slots its budget needs and a fast one at real latency
 * gets enough.
 */
export function batchesPerChannel(inFlight: number, batchSize: number, parallelism: number, slotsPerWorker = Number.POSITIVE_INFINITY): number {
  const needed = Math.max(2, Math.ceil(inFlight / lanesPerBatch(inFlight, batchSize, parallelism)));
  // Spare batches never take a channel past half of a worker's batch slots.
  return needed + Math.max(0, Math.min(SPARE_BATCHES, Math.floor(slotsPerWorker / 2) - needed));
}

/**
 * Batches a channel may run beyond what its budget needs: a batch ends with its slowest send (a
 * 600 ms answer, a retry's backoff, a pair-limit wait of seconds) and holds its slot meanwhile,
 * with its lanes idle; the spare ones keep the channel sending through those tails. Only where
 * the worker has slots to spare: the fairness between channels comes first.
 */
const SPARE_BATCHES = 2;

export function createChannelAdmission(redis: Redis, keys: Keys, leaseMs: number) {
  const run = defineScripts(redis, SCRIPTS);
  const key = (channelId: string) => keys.channelActiveBatches(channelId);
  const admit = async (channelId: string, lease: string, limit: number) => {
    const now = Date.now();
    return (await run('admit', [key(channelId)], [String(now), String(now - leaseMs), lease, String(limit), String(leaseMs * 4)])) === 1;
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
