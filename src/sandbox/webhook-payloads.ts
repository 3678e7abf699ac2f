/**
 * Builders of the webhook bodies Meta sends through 360dialog (reference §6): status updates,
 * MM Lite link clicks, inbound text messages and marketing-preference changes. Pure functions.
 */

/** The sending number as webhooks describe it. */
export interface WebhookChannel {
  phoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string;
}

/**
 * `marketing_lite` when MM Lite delivered the message, `marketing` when Cloud API did; utility and
 * authentication templates (Cloud API only) are priced under their own category.
 */
export type PricingCategory = 'marketing_lite' | 'marketing' | 'utility' | 'authentication';

/** What a status or click is about. */
export interface WebhookMessage {
  wamid: string;
  to: string;
  channel: WebhookChannel;
  category: PricingCategory;
  bizOpaqueCallbackData: string | undefined;
  conversationId: string;
  /** Set for messages that end in an asynchronous `failed` status. */
  failure?: { code: number; title: string; details: string };
}

/** A status as delivered. */
export type StatusName = 'sent' | 'delivered' | 'read' | 'failed';

/** Wraps one change value in Meta's `whatsapp_business_account` envelope. */
export function buildWebhookEnvelope(channel: WebhookChannel, field: string, value: Record<string, unknown>): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: channel.wabaId,
        changes: [
          {
            field,
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: channel.displayPhoneNumber, phone_number_id: channel.phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** One entry of `value.statuses[]`; pricing and conversation ride on `sent` and `delivered`. */
export function buildStatus(message: WebhookMessage, status: StatusName, unixSeconds: number): Record<string, unknown> {
  const result: Record<string, unknown> = {
    id: message.wamid,
    status,
    timestamp: String(unixSeconds),
    recipient_id: message.to,
  };
  if (message.bizOpaqueCallbackData !== undefined) result.biz_opaque_callback_data = message.bizOpaqueCallbackData;
  if (status === 'sent' || status === 'delivered') {
    result.conversation = { id: message.conversationId, origin: { type: message.category } };
    result.pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: message.category };
  }
  if (status === 'failed' && message.failure !== undefined) {
    result.errors = [
      {
        code: message.failure.code,
        title: message.failure.title,
        message: message.failure.title,
        error_data: { details: message.failure.details },
        href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
      },
    ];
  }
  return result;
}

/**
 * One entry of `value.user_actions[]` for an MM Lite link click. Meta's documented click payload
 * carries no wamid and no recipient at all (only click_id and tracking_token), so nothing in it
 * ties a click to a send. The sandbox adds `recipient_id` and, when the send had one,
 * `biz_opaque_callback_data` (the same names Meta uses on statuses) so litecast can attribute
 * clicks in tests; the envelope's `contacts[].wa_id` carries the recipient the way Meta does for
 * other user-originated events. Both are sandbox extensions: production code must tolerate
 * their absence.
 */
export function buildClickAction(message: WebhookMessage, unixSeconds: number, clickId: string, trackingToken: string): Record<string, unknown> {
  const action: Record<string, unknown> = {
    action_type: 'marketing_messages_link_click',
    timestamp: String(unixSeconds),
    marketing_messages_link_click_data: { click_component: 'cta', click_id: clickId, tracking_token: trackingToken },
    recipient_id: message.to,
  };
  if (message.bizOpaqueCallbackData !== undefined) action.biz_opaque_callback_data = message.bizOpaqueCallbackData;
  return action;
}

/** A full body for a batch of statuses of one channel. */
export function buildStatusesBody(channel: WebhookChannel, statuses: unknown[]): unknown {
  return buildWebhookEnvelope(channel, 'messages', { statuses });
}

/** A full body for a batch of click actions of one channel. */
export function buildUserActionsBody(channel: WebhookChannel, actions: Array<Record<string, unknown>>): unknown {
  const recipients = [...new Set(actions.map((action) => String(action.recipient_id)))];
  return buildWebhookEnvelope(channel, 'messages', {
    contacts: recipients.map((waId) => ({ wa_id: waId })),
    user_actions: actions,
  });
}

/** An inbound text message from `from`. */
export function buildInboundBody(
  channel: WebhookChannel,
  inbound: { id: string; from: string; name: string; text: string; unixSeconds: number },
): unknown {
  return buildWebhookEnvelope(channel, 'messages', {
    contacts: [{ profile: { name: inbound.name }, wa_id: inbound.from }],
    messages: [
      { from: inbound.from, id: inbound.id, timestamp: String(inbound.unixSeconds), type: 'text', text: { body: inbound.text } },
    ],
  });
}

/** A `user_preferences` change: the user stopped or resumed marketing messages. */
export function buildUserPreferenceBody(
  channel: WebhookChannel,
  preference: { from: string; value: 'stop' | 'resume'; unixSeconds: number },
): unknown {
  const detail =
    preference.value === 'stop' ? 'User requested to stop marketing messages' : 'User requested to resume marketing messages';
  return buildWebhookEnvelope(channel, 'user_preferences', {
    contacts: [{ profile: { name: 'Sandbox User' }, wa_id: preference.from }],
    user_preferences: [
      { wa_id: preference.from, detail, category: 'marketing_messages', value: preference.value, timestamp: preference.unixSeconds },
    ],
  });
}
