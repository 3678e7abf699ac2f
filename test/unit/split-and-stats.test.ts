import { describe, expect, it } from 'vitest';
import { parseCampaignOptions } from '../../src/producer/create-campaign.ts';
import { compareRates, wilsonInterval } from '../../src/shared/compare-rates.ts';
import { inCloudHoldout, routeFor } from '../../src/shared/route-decision.ts';

const phones = Array.from({ length: 20_000 }, (_, i) => `4470${String(i).padStart(8, '0')}`);

describe('holdout split', () => {
  it.each([10, 20, 50])('puts %i%% of recipients in the Cloud API holdout, within 1.5 points', (share) => {
    const inHoldout = phones.filter((p) => inCloudHoldout('cmp-a', p, share)).length / phones.length;
    expect(Math.abs(inHoldout - share / 100)).toBeLessThan(0.015);
  });

  it('is stable for a campaign and differs between campaigns', () => {
    const first = phones.slice(0, 2_000).map((p) => inCloudHoldout('cmp-a', p, 30));
    expect(phones.slice(0, 2_000).map((p) => inCloudHoldout('cmp-a', p, 30))).toEqual(first);
    const other = phones.slice(0, 2_000).map((p) => inCloudHoldout('cmp-b', p, 30));
    expect(other).not.toEqual(first);
  });

  it('routes by campaign mode', () => {
    expect(routeFor({ id: 'x', route: 'lite' }, '4470')).toBe('lite');
    expect(routeFor({ id: 'x', route: 'cloud' }, '4470')).toBe('cloud');
    const split = phones.slice(0, 100).map((p) => routeFor({ id: 'x', route: 'split', cloudShare: 50 }, p));
    expect(new Set(split)).toEqual(new Set(['lite', 'cloud']));
  });

  it('a split campaign needs a cloud share, and only a split campaign takes one', () => {
    const base = { channelId: 'c', template: { name: 't', language: 'en' } };
    expect(parseCampaignOptions({ ...base, route: 'split', cloudShare: 10 })).toMatchObject({ route: 'split', cloudShare: 10 });
    expect(() => parseCampaignOptions({ ...base, route: 'split' })).toThrow(/cloudShare: required with route split/);
    expect(() => parseCampaignOptions({ ...base, route: 'lite', cloudShare: 10 })).toThrow(/cloudShare: only goes with route split/);
    expect(() => parseCampaignOptions({ ...base, route: 'split', cloudShare: 100 })).toThrow(/cloudShare: must be between 1 and 99/);
  });
});

describe('rate comparison (Newcombe 1998, Statistics in Medicine 17:873–890)', () => {
  it('Wilson interval of 81/263 is 0.2553 to 0.3662 (the paper’s example)', () => {
    const [low, high] = wilsonInterval(81, 263);
    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
  });

  it('difference 56/70 − 48/80 is 0.2000 with 95% CI 0.0524 to 0.3339 (method 10, the paper’s example)', () => {
    expect(compareRates(56, 70, 48, 80)).toEqual({ lite: 0.8, cloud: 0.6, difference: 0.2, ci95: [0.0524, 0.3339], significant: true });
  });

  it('a small difference on small groups is noise; empty groups give no interval', () => {
    const noise = compareRates(50, 100, 48, 100);
    expect(noise.significant).toBe(false);
    expect(noise.ci95?.[0]).toBeLessThan(0);
    expect(noise.ci95?.[1]).toBeGreaterThan(0);
    expect(compareRates(5, 10, 0, 0)).toEqual({ lite: 0.5, cloud: null, difference: null, ci95: null, significant: false });
  });
});
