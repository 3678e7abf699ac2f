/**
 * The fairness gate a batch passes before it sends: at most the channel's share of batches run at
 * once across workers (channel-admission.ts holds the leases); a batch over the share steps aside
 * for the fairness delay. Sized from the channel's in-flight budget (rate × recent latency), so a
 * rate or latency that changes at run time changes only what is passed in here.
 */
import { assumedInFlight, batchesPerChannel, type ChannelAdmission } from './channel-admission.ts';
import { fairnessDelay } from './fairness-delay.ts';

export type FairnessGate = {
  /**
   * Takes a slot for this batch (or renews it); otherwise says how long to step aside. `inFlight`
   * is the channel's in-flight budget (default: its mps at half a second's latency).
   */
  enter(channel: { id: string; mps: number }, lease: string, batchSize: number, inFlight?: number): Promise<{ admitted: true } | { admitted: false; retryInMs: number }>;
  /** Keeps the lease fresh while a long batch runs. */
  renew(channelId: string, lease: string): Promise<void>;
  release(channelId: string, lease: string): Promise<void>;
};

/** The gate over the admission leases; `parallelism` is how many sends one batch has in flight. */
export function createFairnessGate(deps: {
  admission: ChannelAdmission;
  parallelism: number;
  /** Batch slots of a worker process: spare batches never take a channel past half of them. */
  slotsPerWorker?: number;
  random?: () => number;
}): FairnessGate {
  const { admission } = deps;
  return {
    async enter(channel, lease, batchSize, inFlight = assumedInFlight(channel.mps)) {
      if (await admission.admit(channel.id, lease, batchesPerChannel(inFlight, batchSize, deps.parallelism, deps.slotsPerWorker))) return { admitted: true };
      return { admitted: false, retryInMs: fairnessDelay(batchSize, channel.mps, deps.random) };
    },
    async renew(channelId, lease) {
      await admission.renew(channelId, lease);
    },
    release: (channelId, lease) => admission.release(channelId, lease),
  };
}
