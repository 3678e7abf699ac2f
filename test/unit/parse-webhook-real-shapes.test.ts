import { describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/webhooks/parse-webhook.ts';
import {
  buildButtonReplyBody,
  buildClickAction,
  buildStatus,
  buildStatusesBody,
  buildTemplateStatusBody,
  buildUserActionsBody,
  buildUserPreferenceBody,
  buildWebhookEnvelope,
  type WebhookMessage,
} from '../../src/sandbox/webhook-payloads.ts';

// The sandbox's sourced webhook builders (src/sandbox/fixtures/webhook-sources.ts) drive these cases.
const channel = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', wabaId: '102290129340398' };
const message: WebhookMessage = {
  wamid: 'wamid.A',
  to: '5511987654321',
  waId: '551187654321',
  channel,
  category: 'marketing_lite',
  bizOpaqueCallbackData: 'lc1:c1:5511987654321',
  conversationId: 'conv1',
};

describe('parseWebhook on the real shapes', () => {
  it('reads a click without recipient, wamid or callback data', () => {
    const body = buildUserActionsBody(channel, [buildClickAction(1731705800, 'k1', 'tok1')]);
    expect(parseWebhook(body)).toEqual([
      { kind: 'click', timestampMs: 1731705800000, clickId: 'k1', trackingToken: 'tok1', clickComponent: 'cta', phoneNumberId: channel.phoneNumberId },
    ]);
  });

  it('reads the wa_id Meta reports and the pricing category only where priced', () => {
    const body = buildStatusesBody(channel, [buildStatus(message, 'sent', 1, true), buildStatus(message, 'read', 2, false)]);
    const [sent, read] = parseWebhook(body);
    expect(sent).toMatchObject({ kind: 'status', status: 'sent', recipient: '551187654321', pricingCategory: 'marketing_lite' });
    expect(read).toMatchObject({ kind: 'status', status: 'read', recipient: '551187654321' });
    expect(read).not.toHaveProperty('pricingCategory');
  });

  it('reads a BSUID-only status and preference (user_id, no phone)', () => {
    const bsuid = { ...message, userId: 'US.1349' };
    const [status] = parseWebhook(buildStatusesBody(channel, [buildStatus(bsuid, 'delivered', 1, true)]));
    expect(status).toMatchObject({ kind: 'status', recipientUserId: 'US.1349' });
    expect(status).not.toHaveProperty('recipient');
    const preference = parseWebhook(buildUserPreferenceBody(channel, { from: { userId: 'US.1349' }, value: 'stop', unixSeconds: 1 }));
    expect(preference).toEqual([{ kind: 'preference', recipient: 'US.1349', userId: 'US.1349', value: 'stop', category: 'marketing_messages', phoneNumberId: channel.phoneNumberId }]);
  });

  it('reads a quick-reply button tap as a button event, not an inbound text', () => {
    const body = buildButtonReplyBody(channel, { id: 'wamid.in', from: { waId: '16505551234' }, payload: 'Stop promotions', text: 'Stop promotions', contextWamid: 'wamid.A', unixSeconds: 1750091045 });
    expect(parseWebhook(body)).toEqual([
      { kind: 'button', recipient: '16505551234', payload: 'Stop promotions', text: 'Stop promotions', contextWamid: 'wamid.A', timestampMs: 1750091045000, phoneNumberId: channel.phoneNumberId },
    ]);
  });

  it('reads value.errors[] 130429 as an error signal', () => {
    const body = buildWebhookEnvelope(channel, 'messages', { errors: [{ code: 130429, title: 'Rate limit hit' }] });
    expect(parseWebhook(body)).toEqual([{ kind: 'error', code: '130429', title: 'Rate limit hit', phoneNumberId: channel.phoneNumberId }]);
  });

  it('reads template status changes (PAUSED, DISABLED)', () => {
    for (const event of ['PAUSED', 'DISABLED']) {
      const body = buildTemplateStatusBody(channel, { event, templateId: '1689556908129832', name: 'litecast_promo', language: 'en', category: 'MARKETING', reason: 'LOW_QUALITY', unixSeconds: 1 });
      expect(parseWebhook(body)).toEqual([
        { kind: 'template-status', event, templateName: 'litecast_promo', language: 'en', templateId: '1689556908129832', category: 'MARKETING', reason: 'LOW_QUALITY', wabaId: channel.wabaId },
      ]);
    }
  });
});
