import { describe, expect, it } from 'vitest';
import type { Route } from '../../src/shared/outbound-message.ts';
import { planFallback, startingRoute, type Fallback, type LiteRefusal, type RefusalScope } from '../../src/shared/route-decision.ts';

const refusal = { code: '131055', reason: 'MM Lite terms not accepted' };

describe('startingRoute', () => {
  it.each<{ preferred: Route; remembered: LiteRefusal | undefined; route: Route; fallback: Fallback | undefined }>([
    { preferred: 'lite', remembered: undefined, route: 'lite', fallback: undefined },
    { preferred: 'cloud', remembered: undefined, route: 'cloud', fallback: undefined },
    // A remembered refusal only matters to a message that would have gone lite.
    { preferred: 'cloud', remembered: refusal, route: 'cloud', fallback: undefined },
    { preferred: 'lite', remembered: refusal, route: 'cloud', fallback: { ...refusal, remembered: true } },
  ])('$preferred with remembered=$remembered.code starts on $route', ({ preferred, remembered, route, fallback }) => {
    const start = startingRoute(preferred, remembered);
    expect(start.route).toBe(route);
    expect(start.fallback).toEqual(fallback);
  });
});

describe('planFallback', () => {
  it.each<{ scope: RefusalScope | undefined; remember: 'channel' | 'template' | undefined }>([
    { scope: 'channel', remember: 'channel' },
    { scope: 'template', remember: 'template' },
    // A parameter not yet synced concerns this message only: the next one probes MM Lite again.
    { scope: 'message', remember: undefined },
    { scope: undefined, remember: undefined },
  ])('a $scope refusal goes once through the Cloud API and remembers $remember', ({ scope, remember }) => {
    const plan = planFallback({ ...refusal, ...(scope ? { scope } : {}) });
    expect(plan.route).toBe('cloud');
    expect(plan.fallback).toEqual({ ...refusal, remembered: false });
    expect(plan.remember).toBe(remember);
  });
});
