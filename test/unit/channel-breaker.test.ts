import { describe, expect, it } from 'vitest';
import type { SendResponse } from '../../src/dialog360/parse-response.ts';
import { createChannelBreaker } from '../../src/worker/channel-breaker.ts';

const timeout: SendResponse = { kind: 'network', reason: 'timeout', ambiguous: true, message: 't' };
const refused: SendResponse = { kind: 'network', reason: 'connect', ambiguous: false, message: 'r' };
const answered: SendResponse = { kind: 'rejected', status: 500, error: { envelope: 'none' } };

describe('channel breaker', () => {
  it('trips after five network failures in a row, doubling while they go on, and closes on any answer', () => {
    const breaker = createChannelBreaker({ threshold: 5, firstCoolDownMs: 1_000, maxCoolDownMs: 3_000 });
    const run = (responses: SendResponse[]) => responses.map((r) => breaker.record(r));
    expect(run([timeout, refused, timeout, timeout])).toEqual([0, 0, 0, 0]);
    expect(run([timeout])).toEqual([1_000]);
    expect(run([timeout, timeout, timeout, timeout, timeout])).toEqual([0, 0, 0, 0, 2_000]);
    expect(run([refused, refused, refused, refused, refused])).toEqual([0, 0, 0, 0, 3_000]);
    expect(run([answered, timeout, timeout, timeout, timeout, timeout])).toEqual([0, 0, 0, 0, 0, 1_000]);
  });

  it('ignores scattered failures among answers (a 3% hang rate never trips it)', () => {
    const breaker = createChannelBreaker();
    const pattern = Array.from({ length: 1_000 }, (_, i) => (i % 33 === 0 ? timeout : answered));
    expect(pattern.map((r) => breaker.record(r)).filter((ms) => ms > 0)).toEqual([]);
  });
});
