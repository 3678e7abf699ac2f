/**
 * The pure rules behind issue 17's hardening: option-name suggestions, JSON shape limits, the base
 * URL allow-list, bounded metric labels and the in-doubt verdict.
 */
import { describe, expect, it } from 'vitest';
import { checkJsonShape } from '../../src/producer/check-json-shape.ts';
import { likelyMeant } from '../../src/producer/check-option-names.ts';
import { OPTION_NAMES } from '../../src/producer/create-campaign.ts';
import { hasCredentials, isAllowedBaseUrl, withoutCredentials } from '../../src/shared/base-url-policy.ts';
import { inDoubtSummary, NO_WEBHOOK_VERDICT } from '../../src/shared/in-doubt.ts';
import { webhookMetricLabel } from '../../src/webhooks/webhook-metric-label.ts';

describe('option names', () => {
  it('suggests the option most likely meant', () => {
    expect(likelyMeant('ttl', OPTION_NAMES)).toBe('ttlSeconds');
    expect(likelyMeant('batch_size', OPTION_NAMES)).toBe('batchSize');
    expect(likelyMeant('chanelId', OPTION_NAMES)).toBe('channelId');
    expect(likelyMeant('componets', ['name', 'language', 'components'])).toBe('components');
    expect(likelyMeant('zzzzzz', OPTION_NAMES)).toBeUndefined();
  });
});

describe('JSON shape', () => {
  it('bounds depth and size without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(() => checkJsonShape(deep, 'x')).toThrow(/nested more than 12/);
    expect(() => checkJsonShape([{ type: 'body', parameters: [{ type: 'text', text: 'a' }] }], 'x')).not.toThrow();
    expect(() => checkJsonShape(Array.from({ length: 10_001 }, () => 1), 'x')).toThrow(/more than 10000 values/);
  });
});

describe('base URL policy', () => {
  const allowed = ['https://waba-v2.360dialog.io', 'http://127.0.0.1', 'http://localhost:8090'];
  it('allows only listed origins; a port-less entry allows any port', () => {
    expect(isAllowedBaseUrl('https://waba-v2.360dialog.io/', allowed)).toBe(true);
    expect(isAllowedBaseUrl('http://127.0.0.1:41234', allowed)).toBe(true);
    expect(isAllowedBaseUrl('http://localhost:8090', allowed)).toBe(true);
    expect(isAllowedBaseUrl('http://localhost:6379', allowed)).toBe(false);
    expect(isAllowedBaseUrl('http://waba-v2.360dialog.io', allowed)).toBe(false);
    expect(isAllowedBaseUrl('http://169.254.169.254', allowed)).toBe(false);
    expect(isAllowedBaseUrl('https://waba-v2.360dialog.io.evil.example', allowed)).toBe(false);
  });
  it('finds and strips credentials', () => {
    expect(hasCredentials('https://a:b@waba-v2.360dialog.io')).toBe(true);
    expect(hasCredentials('https://waba-v2.360dialog.io')).toBe(false);
    expect(withoutCredentials('https://a:b@waba-v2.360dialog.io')).toBe('https://waba-v2.360dialog.io');
  });
});

describe('webhook metric labels', () => {
  it('only known values', () => {
    expect(webhookMetricLabel({ kind: 'status', wamid: 'w', status: 'delivered', timestampMs: 0 } as never)).toBe('status:delivered');
    expect(webhookMetricLabel({ kind: 'status', wamid: 'w', status: 'x'.repeat(50), timestampMs: 0 } as never)).toBe('status:other');
    expect(webhookMetricLabel({ kind: 'other', type: 'error:12345' })).toBe('other:error');
    expect(webhookMetricLabel({ kind: 'other', type: 'some_field' })).toBe('other:other');
  });
});

describe('in-doubt verdict', () => {
  it('waits for the quiet period after the last send', () => {
    expect(inDoubtSummary({ id: 'c' }, 0, 900_000, 0)).toBeNull();
    expect(inDoubtSummary({ id: 'c' }, 2, 900_000, 0)).toMatchObject({ verdict: 'waiting for webhooks' });
    expect(inDoubtSummary({ id: 'c', finishedAt: 1_000 }, 2, 900_000, 500_000)).toMatchObject({ verdict: 'waiting for webhooks' });
    expect(inDoubtSummary({ id: 'c', finishedAt: 1_000 }, 2, 900_000, 901_000)).toMatchObject({ unknown: 2, verdict: NO_WEBHOOK_VERDICT });
  });
});
