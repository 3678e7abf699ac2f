/**
 * Builders of the webhook bodies Meta sends through 360dialog (reference §6, §9): status updates,
 * MM Lite link clicks, inbound texts and button taps, marketing-preference changes and template
 * status changes. Pure functions; each shape's source is in fixtures/webhook-sources.ts.
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
  /** The id Meta reports for `to` (differs for some BR/MX numbers, see wa-id-for.ts). */
  waId: string;
  /** Business-scoped user id; when set, statuses carry it and no phone (a BSUID channel). */
  userId?: string;
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

/**
 * One entry of `value.statuses[]`. `withPricing` is decided by the emitter: Meta prices `sent` and
 * one of `delivered`/`read` (whichever comes first), never `failed` (WEBHOOK_SOURCES.pricing).
 */
export function buildStatus(message: WebhookMessage, status: StatusName, unixSeconds: number, withPricing = false): Record<string, unknown> {
  const result: Record<string, unknown> = { id: message.wamid, status, timestamp: String(unixSeconds) };
  if (message.userId === undefined) result.recipient_id = message.waId;
  else result.recipient_user_id = message.userId;
  if (message.bizOpaqueCallbackData !== undefined) result.biz_opaque_callback_data = message.bizOpaqueCallbackData;
  if (withPricing && status !== 'failed') {
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
 * One entry of `value.user_actions[]` for an MM link click, as Meta documents it: click_component,
 * click_id and tracking_token only; no wamid, no recipient, no callback data (WEBHOOK_SOURCES.click).
 */
export function buildClickAction(unixSeconds: number, clickId: string, trackingToken: string): Record<string, unknown> {
  return {
    timestamp: String(unixSeconds),
    action_type: 'marketing_messages_link_click',
    marketing_messages_link_click_data: { tracking_token: trackingToken, click_id: clickId, click_component: 'CTA' },
  };
}

/** A full body for a batch of statuses of one channel. */
export function buildStatusesBody(channel: WebhookChannel, statuses: unknown[]): unknown {
  return buildWebhookEnvelope(channel, 'messages', { statuses });
}

/** A full body for a batch of click actions of one channel (no contacts: clicks name nobody). */
export function buildUserActionsBody(channel: WebhookChannel, actions: Array<Record<string, unknown>>): unknown {
  return buildWebhookEnvelope(channel, 'messages', { user_actions: actions });
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

/** Who a user-originated webhook is from: a phone (`wa_id`), or only a business-scoped `user_id`. */
export interface WebhookSender {
  waId?: string;
  userId?: string;
}

const contactOf = (sender: WebhookSender, name: string) => ({
  profile: { name },
  ...(sender.waId === undefined ? {} : { wa_id: sender.waId }),
  ...(sender.userId === undefined ? {} : { user_id: sender.userId }),
});

/** A `user_preferences` change: the user stopped or resumed marketing messages (keyed by wa_id, or user_id only). */
export function buildUserPreferenceBody(
  channel: WebhookChannel,
  preference: { from: WebhookSender; value: 'stop' | 'resume'; unixSeconds: number },
): unknown {
  const detail =
    preference.value === 'stop' ? 'User requested to stop marketing messages' : 'User requested to resume marketing messages';
  const { waId, userId } = preference.from;
  return buildWebhookEnvelope(channel, 'user_preferences', {
    contacts: [contactOf(preference.from, 'Sandbox User')],
    user_preferences: [
      {
        ...(waId === undefined ? {} : { wa_id: waId }),
        ...(userId === undefined ? {} : { user_id: userId }),
        detail,
        category: 'marketing_messages',
        value: preference.value,
        timestamp: preference.unixSeconds,
      },
    ],
  });
}

/** A quick-reply button tap on a template (e.g. "Stop promotions"): `messages[].type: "button"`. */
export function buildButtonReplyBody(
  channel: WebhookChannel,
  tap: { id: string; from: WebhookSender; payload: string; text: string; contextWamid?: string; unixSeconds: number },
): unknown {
  const message: Record<string, unknown> = {
    ...(tap.from.waId === undefined ? {} : { from: tap.from.waId }),
    ...(tap.from.userId === undefined ? {} : { from_user_id: tap.from.userId }),
    id: tap.id,
    timestamp: String(tap.unixSeconds),
    type: 'button',
    button: { payload: tap.payload, text: tap.text },
  };
  if (tap.contextWamid !== undefined) message.context = { from: channel.displayPhoneNumber, id: tap.contextWamid };
  return buildWebhookEnvelope(channel, 'messages', { contacts: [contactOf(tap.from, 'Sandbox User')], messages: [message] });
}

/** A template status change (`message_template_status_update`), e.g. PAUSED or DISABLED by Meta. */
export function buildTemplateStatusBody(
  channel: WebhookChannel,
  change: { event: string; templateId: string; name: string; language: string; category: string; reason: string; unixSeconds: number },
): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: channel.wabaId,
        time: change.unixSeconds,
        changes: [
          {
            field: 'message_template_status_update',
            value: {
              event: change.event,
              message_template_id: Number(change.templateId),
              message_template_name: change.name,
              message_template_language: change.language,
              message_template_category: change.category,
              reason: change.reason,
            },
          },
        ],
      },
    ],
  };
}
