import { describe, expect, it } from 'vitest';
import { createPairLimiter, createSlidingWindow } from '../../src/sandbox/rate-window.ts';
import { createSeededRandom } from '../../src/sandbox/seeded-random.ts';

/** The reference definition: the most events in any window (t − 1000, t]. */
function bruteForceMax(times: number[]): number {
  let best = 0;
  for (const end of times) best = Math.max(best, times.filter((t) => t > end - 1000 && t <= end).length);
  return best;
}

describe('createSlidingWindow', () => {
  it('counts events in the trailing window, excluding the one exactly 1000 ms old', () => {
    const window = createSlidingWindow(1000);
    expect(window.record(0)).toBe(1);
    expect(window.record(500)).toBe(2);
    expect(window.record(999.9)).toBe(3);
    expect(window.record(1000)).toBe(3);
    expect(window.record(2500)).toBe(1);
    expect(window.max).toBe(3);
    expect(window.total).toBe(5);
  });

  it.each([1, 2, 3])('matches a brute-force maximum on random bursts (seed %i)', (seed) => {
    const random = createSeededRandom(seed);
    const times: number[] = [];
    let t = 0;
    for (let i = 0; i < 3000; i++) {
      // Mix of tight bursts and pauses, and enough events to grow the ring buffer.
      t += random() < 0.1 ? random() * 400 : random() * 2;
      times.push(t);
    }
    const window = createSlidingWindow(1000);
    for (const time of times) window.record(time);
    expect(window.max).toBe(bruteForceMax(times));
  });
});

describe('createPairLimiter', () => {
  it('allows a burst, then one message per refill period, per key', () => {
    const limiter = createPairLimiter({ burst: 3, refillSeconds: 6 });
    expect([0, 1, 2, 3].map(() => limiter.tryTake('a', 0))).toEqual([true, true, true, false]);
    expect(limiter.tryTake('b', 0)).toBe(true);
    expect(limiter.tryTake('a', 5_999)).toBe(false);
    expect(limiter.tryTake('a', 6_000)).toBe(true);
    expect(limiter.tryTake('a', 6_001)).toBe(false);
    expect([1, 2, 3, 4].map(() => limiter.tryTake('a', 1_000_000))).toEqual([true, true, true, false]);
  });
});
