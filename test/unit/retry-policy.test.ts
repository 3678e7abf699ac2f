import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/dialog360/classify-send-error.ts';
import { endFor, isChannelWide, messageRetryDelay, pairLimitDelay, type RouteEnd } from '../../src/dialog360/retry-policy.ts';

const verdict = (v: Partial<Verdict> & Pick<Verdict, 'class'>): Verdict => ({ code: 'X', reason: 'x', ...v });

describe('endFor', () => {
  it.each<{ v: Verdict; onAmbiguousTimeout: 'unknown' | 'retry'; end: RouteEnd | undefined }>([
    { v: verdict({ class: 'fallback', scope: 'message' }), onAmbiguousTimeout: 'unknown', end: 'fallback' },
    { v: verdict({ class: 'recipient' }), onAmbiguousTimeout: 'unknown', end: 'failed' },
    { v: verdict({ class: 'fatal' }), onAmbiguousTimeout: 'unknown', end: 'fatal' },
    { v: verdict({ class: 'retry', ambiguous: true }), onAmbiguousTimeout: 'unknown', end: 'unknown' },
    { v: verdict({ class: 'retry', ambiguous: true }), onAmbiguousTimeout: 'retry', end: undefined },
    { v: verdict({ class: 'retry' }), onAmbiguousTimeout: 'unknown', end: undefined },
    { v: verdict({ class: 'throttle', waitMs: 1_000 }), onAmbiguousTimeout: 'unknown', end: undefined },
  ])('$v.class (ambiguous: $v.ambiguous, on timeout: $onAmbiguousTimeout) ends as $end', ({ v, onAmbiguousTimeout, end }) => {
    expect(endFor(v, { onAmbiguousTimeout })).toBe(end);
  });
});

describe('isChannelWide', () => {
  it.each<{ v: Verdict; wide: boolean }>([
    { v: verdict({ class: 'throttle' }), wide: true },
    { v: verdict({ class: 'retry', scope: 'channel' }), wide: true },
    { v: verdict({ class: 'retry', scope: 'recipient' }), wide: false },
    { v: verdict({ class: 'retry' }), wide: false },
  ])('$v.class with scope $v.scope: channel-wide $wide', ({ v, wide }) => {
    expect(isChannelWide(v)).toBe(wide);
  });
});

describe('retry delays', () => {
  it.each([
    { hits: 0, expected: 1_000 },
    { hits: 1, expected: 4_000 },
    { hits: 2, expected: 10_000 },
  ])('pair limit hit $hits waits $expected ms', ({ hits, expected }) => {
    expect(pairLimitDelay({ maxDelayMs: 10_000 }, verdict({ class: 'retry', scope: 'recipient', waitMs: 1_000 }), hits)).toBe(expected);
  });

  it('a message retry waits the longer of the backoff and the wait the API asked for, capped', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 5_000 };
    expect(messageRetryDelay(policy, verdict({ class: 'retry' }), 2, () => 0)).toBe(400);
    expect(messageRetryDelay(policy, verdict({ class: 'retry', waitMs: 2_000 }), 0, () => 0)).toBe(2_000);
    expect(messageRetryDelay(policy, verdict({ class: 'retry', waitMs: 60_000 }), 0, () => 0)).toBe(5_000);
  });
});
