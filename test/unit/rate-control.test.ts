import { describe, expect, it } from 'vitest';
import { afterThrottle, currentRate, inFlightBudget, initialRateState, rateLawFor } from '../../src/worker/rate-control.ts';
import { slowThrottleDelay, throttleKind } from '../../src/dialog360/retry-policy.ts';
import { batchesPerChannel, lanesPerBatch } from '../../src/worker/channel-admission.ts';

const law = rateLawFor(200, 0.97);

describe('adaptive rate control law', () => {
  it('starts at the ceiling (mps × margin) and never goes above it', () => {
    const state = initialRateState(law, 0);
    expect(currentRate(state, law, 0)).toBeCloseTo(194);
    expect(currentRate(state, law, 3_600_000)).toBeCloseTo(194);
  });

  it('cuts in proportion to the refused share of the window, a little below the usable rate', () => {
    const state = initialRateState(law, 0);
    // 194 sent, 25% refused: the usable rate was about 145; the law aims 2 points under it.
    const next = afterThrottle(state, law, 5_000, { answered: 200, refused: 50 });
    expect(next?.rate).toBeCloseTo(194 * (1 - 0.27));
    expect(next?.lastCutAt).toBe(5_000);
  });

  it('ignores sporadic throttles within the tolerance and its noise (normal shared-budget traffic)', () => {
    const state = initialRateState(law, 0);
    // 2.5% of 200 = 5 expected; two standard deviations above that is 9.5.
    expect(afterThrottle(state, law, 5_000, { answered: 200, refused: 4 })).toBeUndefined();
    expect(afterThrottle(state, law, 5_000, { answered: 200, refused: 9 })).toBeUndefined();
    expect(afterThrottle(state, law, 5_000, { answered: 200, refused: 10 })).toBeDefined();
    expect(afterThrottle(state, law, 5_000, { answered: 50, refused: 3 })).toBeUndefined();
    // The first answers of a window: one refusal of three is no evidence yet.
    expect(afterThrottle(state, law, 5_000, { answered: 3, refused: 1 })).toBeUndefined();
  });

  it('cuts at most once per window, however many throttles arrive in it', () => {
    const once = afterThrottle(initialRateState(law, 0), law, 5_000, { answered: 100, refused: 50 });
    expect(once).toBeDefined();
    expect(afterThrottle(once!, law, 5_500, { answered: 100, refused: 50 })).toBeUndefined();
    expect(afterThrottle(once!, law, 6_000, { answered: 100, refused: 50 })).toBeDefined();
  });

  it('a blind signal (a webhook 130429) cuts by the blind share; the largest cut is bounded, and so is the floor', () => {
    const state = initialRateState(law, 0);
    expect(afterThrottle(state, law, 5_000)?.rate).toBeCloseTo(194 * 0.95);
    expect(afterThrottle(state, law, 5_000, { answered: 10, refused: 10 })?.rate).toBeCloseTo(97);
    let s = state;
    for (let t = 1; t < 50; t++) s = afterThrottle(s, law, t * 1_000, { answered: 10, refused: 10 }) ?? s;
    expect(s.rate).toBeCloseTo(law.floor);
  });

  it('recovers additively toward the ceiling between throttles', () => {
    const cut = afterThrottle(initialRateState(law, 0), law, 10_000, { answered: 100, refused: 50 })!;
    const fast = law.recoveryShare * law.ceiling;
    const slow = law.probeShare * law.ceiling;
    expect(currentRate(cut, law, 10_250)).toBeCloseTo(cut.rate + fast * 0.25);
    const toKnee = (cut.knee - cut.rate) / fast;
    expect(currentRate(cut, law, 12_000)).toBeCloseTo(cut.knee + slow * (2 - toKnee));
    expect(currentRate(cut, law, 10_000 + 3_600_000)).toBeCloseTo(law.ceiling);
  });

  it('recovers fast up to the usable rate estimated at the cut (the knee), then probes slowly', () => {
    const state = initialRateState(law, 0);
    // At 194, 20% refused: usable about 155; cut by 22% to 151.3, the knee at 155.2.
    const cut = afterThrottle(state, law, 10_000, { answered: 100, refused: 20 })!;
    expect(cut.knee).toBeCloseTo(194 * 0.8);
    const fast = law.recoveryShare * law.ceiling;
    const slow = law.probeShare * law.ceiling;
    const toKnee = (cut.knee - cut.rate) / fast;
    expect(currentRate(cut, law, 10_000 + toKnee * 1000)).toBeCloseTo(cut.knee);
    expect(currentRate(cut, law, 10_000 + (toKnee + 1) * 1000)).toBeCloseTo(Math.min(law.ceiling, cut.knee + slow));
  });
});

describe('throttle kinds', () => {
  it('stops the channel only for the signals that mean stop', () => {
    expect(throttleKind({ code: '130429' })).toBe('slow');
    expect(throttleKind({ code: 'HTTP_429' })).toBe('slow');
    expect(throttleKind({ code: 'D360_RATE_LIMIT' })).toBe('slow');
    expect(throttleKind({ code: 'D360_RATE_LIMIT', retryAfter: true })).toBe('stop');
    expect(throttleKind({ code: '131057' })).toBe('stop');
    expect(throttleKind({ code: '4' })).toBe('stop');
    expect(throttleKind({ code: '80007' })).toBe('stop');
  });

  it('retries a slow-throttled message after a short backoff', () => {
    expect(slowThrottleDelay(() => 0)).toBe(100);
    expect(slowThrottleDelay(() => 1)).toBe(300);
  });
});

describe('in-flight budget', () => {
  it("follows Little's law within the configured bounds", () => {
    expect(inFlightBudget(1000, 300, { headroom: 1.5, min: 16, max: 2000 })).toBe(450);
    expect(inFlightBudget(80, 300, { headroom: 1.5, min: 16, max: 2000 })).toBe(36);
    expect(inFlightBudget(10, 100, { headroom: 1.5, min: 16, max: 2000 })).toBe(16);
    expect(inFlightBudget(1000, 5_000, { headroom: 1.5, min: 16, max: 2000 })).toBe(2000);
  });

  it('spreads the budget over batches: a fast channel at real latency gets enough lanes, a slow one holds few slots', () => {
    // 1,000 msg/s at 600 ms p95: 900 in flight = 9 batches of 100 lanes, and 2 spare for the tails.
    expect(lanesPerBatch(900, 100, 16)).toBe(100);
    expect(batchesPerChannel(900, 100, 16)).toBe(11);
    // 80 msg/s at 300 ms: 36 in flight: each batch may take all of it; 2 batches and 2 spare.
    expect(lanesPerBatch(36, 100, 16)).toBe(36);
    expect(batchesPerChannel(36, 100, 16)).toBe(4);
    // Spare batches stop at half of a worker's slots: a slow channel keeps to 2 of 4.
    expect(batchesPerChannel(36, 100, 16, 8)).toBe(4);
    expect(batchesPerChannel(36, 100, 16, 4)).toBe(2);
    expect(batchesPerChannel(900, 100, 16, 8)).toBe(9);
    expect(lanesPerBatch(8, 100, 16)).toBe(16);
  });
});
