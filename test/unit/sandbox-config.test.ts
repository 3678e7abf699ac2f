import { describe, expect, it } from 'vitest';
import { mergeSandboxConfig, parseSandboxConfig } from '../../src/sandbox/sandbox-config.ts';

describe('parseSandboxConfig', () => {
  it('fills every default from an empty object', () => {
    const config = parseSandboxConfig({});
    expect(config.channels).toHaveLength(1);
    expect(config.channels[0]).toMatchObject({ apiKey: 'sandbox-key', mps: 80, lite: 'onboarded' });
    expect(config.channels[0]?.phoneNumberId).toMatch(/^\d{15}$/);
    expect(config.templates).toEqual([
      { name: 'litecast_promo', language: 'en', category: 'MARKETING', status: 'APPROVED', bodyParams: 1, messageStatus: 'accepted', createdAt: '2025-01-01T00:00:00Z' },
      { name: 'order_update', language: 'en', category: 'UTILITY', status: 'APPROVED', messageStatus: 'accepted', createdAt: '2025-01-01T00:00:00Z' },
    ]);
    // Realistic defaults: smart routing on, real wa_ids, pricing on sent, clicks without recipient.
    expect(config.channels[0]).toMatchObject({ smartRouting: true, bsuid: false });
    expect(config.realisticWaIds).toBe(true);
    expect(config.webhook).toMatchObject({ pricingOnSent: true });
    expect(config.pairLimit).toEqual({ burst: 45, refillSeconds: 6 });
    expect(config.webhook).toMatchObject({
      sentDelayMs: 20,
      deliveredDelayMs: 50,
      readDelayMs: 100,
      readRate: 0.5,
      clickRate: 0.2,
      duplicateRate: 0,
      outOfOrderRate: 0,
      batchMaxStatuses: 50,
      batchMaxWaitMs: 25,
    });
    expect(config).toMatchObject({ seed: 1, enforceMps: true, latencyMs: 0, faults: [], recipientErrors: [], liteIneligibleRecipients: [] });
  });

  it('derives stable, distinct ids per API key', () => {
    const a = parseSandboxConfig({ channels: [{ apiKey: 'a' }, { apiKey: 'b' }] });
    const again = parseSandboxConfig({ channels: [{ apiKey: 'b' }] });
    expect(a.channels[0]?.phoneNumberId).not.toBe(a.channels[1]?.phoneNumberId);
    expect(again.channels[0]?.phoneNumberId).toBe(a.channels[1]?.phoneNumberId);
    expect(again.channels[0]?.displayPhoneNumber).toMatch(/^1555\d{7}$/);
  });

  it('reports every problem at once with its path', () => {
    const attempt = () =>
      parseSandboxConfig({
        channels: [{ apiKey: 'x', lite: 'maybe' }],
        templates: [{ name: 'a', category: 'PROMO' }],
        liteIneligibleRecipients: ['49a*'],
        recipientErrors: [{ match: '1*' }],
        faults: [{ effect: { type: 'slow' } }],
        webhook: { url: 'ftp://x', readRate: -1 },
        unknownField: true,
      });
    expect(attempt).toThrow(/^Invalid sandbox config:/);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const path of [
      'channels.0.lite',
      'templates.0.category',
      'liteIneligibleRecipients.0',
      'recipientErrors.0.code',
      'faults.0.effect.ms',
      'webhook.url',
      'webhook.readRate',
    ]) {
      expect(message).toContain(`- ${path}:`);
    }
    expect(message).toContain('Unrecognized key: "unknownField"');
  });

  it('rejects duplicate API keys and phone number ids', () => {
    expect(() => parseSandboxConfig({ channels: [{ apiKey: 'x' }, { apiKey: 'x' }] })).toThrow('channels.1: duplicate apiKey');
    expect(() =>
      parseSandboxConfig({ channels: [{ apiKey: 'x', phoneNumberId: '1' }, { apiKey: 'y', phoneNumberId: '1' }] }),
    ).toThrow('channels.1: duplicate phoneNumberId');
  });

  it('rejects duplicate template name/language pairs', () => {
    expect(() => parseSandboxConfig({ templates: [{ name: 'a' }, { name: 'a', language: 'en' }] })).toThrow('templates.1');
    expect(() => parseSandboxConfig({ templates: [{ name: 'a' }, { name: 'a', language: 'de' }] })).not.toThrow();
  });
});

describe('mergeSandboxConfig', () => {
  it('replaces arrays and merges webhook and pairLimit field by field', () => {
    const base = parseSandboxConfig({ webhook: { url: 'http://127.0.0.1:1/hook', readRate: 1 }, liteIneligibleRecipients: ['49*'] });
    const merged = mergeSandboxConfig(base, { webhook: { clickRate: 0 }, pairLimit: { burst: 2 }, liteIneligibleRecipients: ['44*'] });
    expect(merged.webhook).toMatchObject({ url: 'http://127.0.0.1:1/hook', readRate: 1, clickRate: 0 });
    expect(merged.pairLimit).toEqual({ burst: 2, refillSeconds: 6 });
    expect(merged.liteIneligibleRecipients).toEqual(['44*']);
    expect(merged.channels).toEqual(base.channels);
  });

  it('validates the merged result', () => {
    const base = parseSandboxConfig({});
    expect(() => mergeSandboxConfig(base, { webhook: { batchMaxStatuses: 0 } })).toThrow('webhook.batchMaxStatuses');
    expect(() => mergeSandboxConfig(base, [])).toThrow('expected an object');
  });
});
