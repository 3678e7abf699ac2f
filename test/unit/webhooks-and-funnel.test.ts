import { describe, expect, it } from 'vitest';
import { csvCell } from '../../src/producer/export-recipients.ts';
import { buildFunnel, histogramQuantile } from '../../src/shared/campaign-funnel.ts';
import { isStopKeyword, parseWebhook } from '../../src/webhooks/parse-webhook.ts';

const envelope = (value: Record<string, unknown>, field = 'messages') => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '102290129340398', changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' }, ...value } }] }],
});

describe('parseWebhook', () => {
  it('reads statuses with pricing category, callback data and errors', () => {
    const body = envelope({
      statuses: [
        { id: 'wamid.A', status: 'delivered', timestamp: '1731705721', recipient_id: '16505551234', biz_opaque_callback_data: 'lc1:c1:16505551234', pricing: { billable: true, pricing_model: 'PMP', category: 'marketing_lite', type: 'regular' } },
        { id: 'wamid.B', status: 'failed', timestamp: '1731705722', recipient_id: '16505551235', errors: [{ code: 131049, title: 'withheld' }], conversation: { origin: { type: 'marketing' } } },
      ],
    });
    expect(parseWebhook(body)).toEqual([
      { kind: 'status', wamid: 'wamid.A', status: 'delivered', timestampMs: 1731705721000, recipient: '16505551234', callbackData: 'lc1:c1:16505551234', category: 'marketing_lite', pricingCategory: 'marketing_lite', phoneNumberId: '106540352242922' },
      { kind: 'status', wamid: 'wamid.B', status: 'failed', timestampMs: 1731705722000, recipient: '16505551235', category: 'marketing', errorCode: '131049', phoneNumberId: '106540352242922' },
    ]);
  });

  it('reads MM Lite clicks, user preferences and inbound texts; unknown actions are "other"', () => {
    const click = envelope({ contacts: [{ wa_id: '4915112345678' }], user_actions: [{ action_type: 'marketing_messages_link_click', timestamp: '1731705800', marketing_messages_link_click_data: { click_component: 'cta', click_id: 'k1' } }, { action_type: 'landing_page_view' }] });
    expect(parseWebhook(click)).toEqual([
      { kind: 'click', timestampMs: 1731705800000, recipient: '4915112345678', clickId: 'k1', clickComponent: 'cta', phoneNumberId: '106540352242922' },
      { kind: 'other', type: 'user_action:landing_page_view' },
    ]);
    const preference = envelope({ user_preferences: [{ wa_id: '16505551234', detail: 'stop', category: 'marketing_messages', value: 'stop', timestamp: 1731705721 }] }, 'user_preferences');
    expect(parseWebhook(preference)).toEqual([{ kind: 'preference', recipient: '16505551234', value: 'stop', category: 'marketing_messages', phoneNumberId: '106540352242922' }]);
    const inbound = envelope({ contacts: [{ wa_id: '16505551234' }], messages: [{ from: '16505551234', id: 'wamid.in', type: 'text', text: { body: ' STOP ' } }] });
    expect(parseWebhook(inbound)).toEqual([{ kind: 'inbound', recipient: '16505551234', text: ' STOP ', phoneNumberId: '106540352242922' }]);
  });

  it('never throws on strange bodies', () => {
    expect(parseWebhook(null)).toEqual([{ kind: 'other', type: 'not-an-object' }]);
    expect(parseWebhook({ entry: 'x' })).toEqual([{ kind: 'other', type: 'empty' }]);
    expect(parseWebhook(envelope({ statuses: [{ status: 'sent' }, 'x'] }))).toEqual([{ kind: 'other', type: 'messages' }]);
  });

  it('recognises stop keywords only as the whole message', () => {
    expect(isStopKeyword('Stop!')).toBe(true);
    expect(isStopKeyword('unsubscribe')).toBe(true);
    expect(isStopKeyword("don't stop")).toBe(false);
    expect(isStopKeyword(undefined)).toBe(false);
  });
});

describe('funnel', () => {
  it('computes quantiles from the 25% buckets (hand-computed)', () => {
    // bucket b represents 1.25^(b+0.5) − 1 ms: b=10 → 9.41 → 9, b=20 → 95.99 → 96.
    const buckets = new Map([
      [10, 3],
      [20, 1],
    ]);
    expect(histogramQuantile(buckets, 0.5)).toBe(9);
    expect(histogramQuantile(buckets, 0.9)).toBe(96);
    expect(histogramQuantile(new Map(), 0.5)).toBeNull();
  });

  it('splits sends into lite, cloud, fallback and lite-delivered-via-cloud, with rates and no click figure for cloud', () => {
    const funnel = buildFunnel(
      {
        'liteViaCloud:sent': '10',
        'lite:delivered': '80',
        'lite:read': '40',
        'lite:clicked': '8',
        'lite:failed': '5',
        'lite:failed:131049': '5',
        'lite:lat:10': '80',
        'cloud:delivered': '45',
        'liteViaCloud:delivered': '9',
      },
      { sentLite: 100, sentCloud: 60, fallbacks: 10 },
    );
    expect(funnel.lite).toEqual({ sent: 90, delivered: 80, read: 40, clicked: 8, failed: 5, failedByCode: { '131049': 5 }, deliveredRate: 0.8889, readRate: 0.4444, clickRate: 0.0889, deliveryMs: { median: 9, p90: 9 } });
    expect(funnel.cloud).toMatchObject({ sent: 50, delivered: 45, clicked: null, clickRate: null, deliveredRate: 0.9, deliveryMs: null });
    expect(funnel.liteViaCloud).toMatchObject({ sent: 10, delivered: 9, clicked: null });
    expect(funnel.fallback).toMatchObject({ sent: 10, delivered: 0, clicked: null, deliveredRate: 0 });
  });
});

describe('csvCell', () => {
  it.each([
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['+4915', "'+4915"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['line\nbreak', '"line\nbreak"'],
  ])('%j → %j', (input, output) => {
    expect(csvCell(input)).toBe(output);
  });
});
