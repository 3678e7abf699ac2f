import { describe, expect, it } from 'vitest';
import type { ChannelAdmission } from '../../src/worker/channel-admission.ts';
import { createFairnessGate } from '../../src/worker/fairness-gate.ts';

/** Admits while fewer than `limit` leases are held; records the limits it was asked for. */
function fakeAdmission() {
  const held = new Set<string>();
  const limits: number[] = [];
  const admission: ChannelAdmission = {
    async admit(_channelId, lease, limit) {
      limits.push(limit);
      if (held.has(lease)) return true;
      if (held.size >= limit) return false;
      held.add(lease);
      return true;
    },
    renew: async () => true,
    async release(_channelId, lease) {
      held.delete(lease);
    },
  };
  return { admission, held, limits };
}

describe('fairness gate', () => {
  it.each([
    // mps, batch parallelism, batches of the channel allowed at once (in-flight need at 0.5 s over batches of min(100, max(parallelism, need)), at least 2, plus 2 spare)
    { mps: 10, parallelism: 10, share: 4 },
    { mps: 80, parallelism: 10, share: 4 },
    { mps: 1000, parallelism: 50, share: 7 },
    { mps: 200, parallelism: 16, share: 4 },
  ])('lets $share batches of a $mps msg/s channel in at once, then asks the next to step aside', async ({ mps, parallelism, share }) => {
    const { admission, limits } = fakeAdmission();
    const gate = createFairnessGate({ admission, parallelism, random: () => 0 });
    const channel = { id: 'c', mps };
    for (let i = 0; i < share; i++) expect(await gate.enter(channel, `b${i}`, 100)).toEqual({ admitted: true });
    expect(await gate.enter(channel, 'late', 100)).toEqual({ admitted: false, retryInMs: Math.min(5_000, 100 + (100 / mps) * 500) });
    expect(new Set(limits)).toEqual(new Set([share]));
    await gate.release('c', 'b0');
    expect(await gate.enter(channel, 'late', 100)).toEqual({ admitted: true });
  });
});
