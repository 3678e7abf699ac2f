import { describe, expect, it } from 'vitest';
import { fairnessDelay } from '../../src/worker/fairness-delay.ts';

describe('fairnessDelay', () => {
  it.each([
    // batch size, mps, random, expected ms
    { batchSize: 100, mps: 80, random: 0, expected: 100 + 1.25 * 500 },
    { batchSize: 100, mps: 80, random: 0.5, expected: 100 + 1.25 * 500 * 1.5 },
    { batchSize: 100, mps: 1000, random: 0, expected: 150 },
    { batchSize: 1, mps: 1000, random: 0, expected: 100.5 },
    // A slow channel's long batch: capped so the batch comes back within seconds.
    { batchSize: 500, mps: 10, random: 0, expected: 5_000 },
    { batchSize: 100, mps: 20, random: 0.99, expected: 5_000 },
  ])('steps aside $expected ms for $batchSize recipients at $mps msg/s (random $random)', ({ batchSize, mps, random, expected }) => {
    expect(fairnessDelay(batchSize, mps, () => random)).toBeCloseTo(expected, 6);
  });

  it('stays within [100 ms, 5 s] whatever the jitter', () => {
    for (const random of [0, 0.25, 0.5, 0.999]) {
      const delay = fairnessDelay(200, 80, () => random);
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(5_000);
    }
  });
});
