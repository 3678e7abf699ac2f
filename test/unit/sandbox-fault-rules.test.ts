import { describe, expect, it } from 'vitest';
import { createFaultSet, parseFaultRules } from '../../src/sandbox/fault-rules.ts';
import { createSeededRandom } from '../../src/sandbox/seeded-random.ts';

const request = { route: 'lite' as const, apiKey: 'k', to: '4915112345678' };

describe('fault rules', () => {
  it('applies the first matching rule and spends counted rules', () => {
    const faults = createFaultSet(
      parseFaultRules([
        { endpoint: 'cloud', effect: { type: 'reset' } },
        { to: '4915*', count: 2, effect: { type: 'http', status: 502 } },
        { effect: { type: 'invalid-json' } },
      ]),
      createSeededRandom(1),
    );
    expect([1, 2, 3].map(() => faults.pick(request)?.type)).toEqual(['http', 'http', 'invalid-json']);
    expect(faults.pick({ ...request, route: 'cloud' })?.type).toBe('reset');
  });

  it('matches channel and recipient filters exactly', () => {
    const faults = createFaultSet(parseFaultRules([{ channel: 'other', effect: { type: 'reset' } }, { to: '4916*', effect: { type: 'reset' } }]), createSeededRandom(1));
    expect(faults.pick(request)).toBeUndefined();
    expect(faults.pick({ ...request, apiKey: 'other' })?.type).toBe('reset');
    expect(faults.pick({ ...request, to: undefined })).toBeUndefined();
  });

  it('fires a rate rule on its share of requests', () => {
    const faults = createFaultSet(parseFaultRules([{ rate: 0.25, effect: { type: 'reset' } }]), createSeededRandom(7));
    const hits = Array.from({ length: 4000 }, () => faults.pick(request)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(850);
    expect(hits).toBeLessThan(1150);
  });

  it('applies defaults of effects', () => {
    const [rule] = parseFaultRules([{ effect: { type: 'd360-rate-limit' } }]);
    expect(rule).toEqual({ endpoint: 'any', rate: 1, effect: { type: 'd360-rate-limit', retryAfterSeconds: 1, httpStatus: 429, shape: 'plain' } });
  });
});
