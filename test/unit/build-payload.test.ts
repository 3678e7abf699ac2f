import { describe, expect, it } from 'vitest';
import { LITE_ONLY_FIELDS, buildLitePayload, buildPayload, checkTtlSeconds, toCloudPayload } from '../../src/dialog360/build-payload.ts';
import { decodeCallbackData, encodeCallbackData } from '../../src/dialog360/callback-data.ts';
import type { OutboundMessage } from '../../src/shared/outbound-message.ts';

const message: OutboundMessage = {
  to: '4915112345678',
  template: { name: 'spring_sale', language: 'de', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Anna' }] }] },
  ttlSeconds: 86_400,
  activitySharing: true,
  callbackData: encodeCallbackData('cmp_1', '4915112345678'),
};

describe('buildLitePayload', () => {
  it('builds the MM Lite body with deterministic language policy, TTL, activity sharing and callback data', () => {
    expect(buildLitePayload(message)).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '4915112345678',
      type: 'template',
      template: {
        name: 'spring_sale',
        language: { policy: 'deterministic', code: 'de' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'Anna' }] }],
      },
      message_send_ttl_seconds: 86_400,
      message_activity_sharing: true,
      biz_opaque_callback_data: 'lc1:cmp_1:4915112345678',
    });
  });

  it('omits TTL, activity sharing and empty components when not set', () => {
    const payload = buildLitePayload({ to: '441234567890', template: { name: 't', language: 'en', components: [] }, callbackData: 'x' });
    expect(Object.keys(payload).sort()).toEqual(['biz_opaque_callback_data', 'messaging_product', 'recipient_type', 'template', 'to', 'type']);
    expect(payload.template).toEqual({ name: 't', language: { policy: 'deterministic', code: 'en' } });
  });

  it('keeps activity sharing false (an explicit opt-out), not only true', () => {
    expect(buildLitePayload({ ...message, activitySharing: false }).message_activity_sharing).toBe(false);
  });

  it.each([43_199, 2_592_001, 3600.5, 0])('rejects TTL %s outside the marketing range', (ttl) => {
    expect(() => buildLitePayload({ ...message, ttlSeconds: ttl })).toThrow(RangeError);
    expect(checkTtlSeconds(ttl)).toMatch(/TTL/);
  });

  it.each([43_200, 2_592_000])('accepts TTL %s at the edges of the range', (ttl) => {
    expect(checkTtlSeconds(ttl)).toBeUndefined();
    expect(buildLitePayload({ ...message, ttlSeconds: ttl }).message_send_ttl_seconds).toBe(ttl);
  });

  it('rejects callback data longer than 512 characters', () => {
    expect(() => buildLitePayload({ ...message, callbackData: 'x'.repeat(513) })).toThrow(/512/);
  });
});

describe('toCloudPayload', () => {
  it('is the same message without any lite-only field, and keeps biz_opaque_callback_data', () => {
    const lite = { ...buildLitePayload(message), product_policy: 'STRICT' as const };
    const cloud = toCloudPayload(lite);
    for (const field of LITE_ONLY_FIELDS) expect(cloud).not.toHaveProperty(field);
    const { product_policy: _p, message_activity_sharing: _a, message_send_ttl_seconds: _t, ...rest } = lite;
    expect(cloud).toEqual(rest);
    expect(cloud.biz_opaque_callback_data).toBe('lc1:cmp_1:4915112345678');
    expect(lite.message_send_ttl_seconds).toBe(86_400);
  });

  it('buildPayload picks the shape by route', () => {
    expect(buildPayload(message, 'lite')).toHaveProperty('message_send_ttl_seconds', 86_400);
    expect(buildPayload(message, 'cloud')).not.toHaveProperty('message_send_ttl_seconds');
  });
});

describe('callback data', () => {
  it('round-trips campaign and phone and ignores foreign data', () => {
    expect(decodeCallbackData(encodeCallbackData('cmp_9', '4412'))).toEqual({ campaignId: 'cmp_9', phone: '4412' });
    expect(decodeCallbackData('order-77')).toBeUndefined();
    expect(decodeCallbackData('lc1:cmp:notdigits')).toBeUndefined();
    expect(decodeCallbackData(undefined)).toBeUndefined();
  });
});
