/**
 * Turns a 360dialog/Meta webhook body into a flat list of events: message statuses, MM Lite link
 * clicks, marketing opt-outs (`user_preferences`), inbound texts, quick-reply button taps,
 * out-of-band errors (`value.errors[]`, e.g. 130429) and template status changes. Pure and
 * tolerant: unknown fields and unknown kinds are kept as `other`, never an error. Shapes follow
 * whatsapp-api.md §6/§9; a user may be known by `wa_id`, by a business-scoped `user_id`, or both.
 */

export type StatusEvent = {
  kind: 'status';
  wamid: string;
  /** sent | delivered | read | failed | played (or something newer, kept as given). */
  status: string;
  /** Meta's timestamp (unix seconds) in ms; 0 when missing. */
  timestampMs: number;
  recipient?: string;
  /** `recipient_user_id`: the business-scoped user id (BSUID), possibly the only identity given. */
  recipientUserId?: string;
  callbackData?: string;
  /** `pricing.category` (or `conversation.origin.type`): `marketing_lite` when MM Lite delivered it. */
  category?: string;
  /**
   * `pricing.category` only. Meta prices `sent` and one of delivered/read, so the route Meta used is
   * settled by the first event that has this, not by the first event.
   */
  pricingCategory?: string;
  /** First error code of a failed status. */
  errorCode?: string;
  phoneNumberId?: string;
};

/**
 * An MM link click. Meta's click carries no recipient, wamid or callback data; `recipient`,
 * `callbackData` and `wamid` are read only in case a body has them (old sandbox behaviour).
 */
export type ClickEvent = {
  kind: 'click';
  timestampMs: number;
  recipient?: string;
  callbackData?: string;
  wamid?: string;
  clickId?: string;
  trackingToken?: string;
  /** `cta` or `body` (lower-cased). */
  clickComponent?: string;
  productId?: string;
  phoneNumberId?: string;
};

/**
 * A marketing preference change. `recipient` is the `wa_id`, or the `user_id` when the webhook
 * carries only a business-scoped id (then `userId` is set too).
 */
export type PreferenceEvent = { kind: 'preference'; recipient: string; userId?: string; value: 'stop' | 'resume'; category: string; phoneNumberId?: string };
export type InboundEvent = { kind: 'inbound'; recipient: string; userId?: string; text?: string; phoneNumberId?: string };
/** A quick-reply button tap (`messages[].type: "button"`), e.g. the template's "Stop promotions". */
export type ButtonEvent = {
  kind: 'button';
  /** `from` (wa_id), or the user_id when only that is given. */
  recipient: string;
  userId?: string;
  payload?: string;
  text?: string;
  /** wamid of the template message whose button was tapped (`context.id`). */
  contextWamid?: string;
  timestampMs: number;
  phoneNumberId?: string;
};
/** An out-of-band error in `value.errors[]` (e.g. 130429 "Rate limit hit": a throttle signal). */
export type ErrorSignalEvent = { kind: 'error'; code: string; title?: string; phoneNumberId?: string };
/** A `message_template_status_update` (e.g. PAUSED or DISABLED by Meta). */
export type TemplateStatusEvent = {
  kind: 'template-status';
  /** APPROVED | PAUSED | DISABLED | REJECTED | … as given. */
  event: string;
  templateName: string;
  language?: string;
  templateId?: string;
  category?: string;
  reason?: string;
  /** `entry[].id`: the WABA. */
  wabaId?: string;
};
export type OtherEvent = { kind: 'other'; type: string };

export type WebhookEvent = StatusEvent | ClickEvent | PreferenceEvent | InboundEvent | ButtonEvent | ErrorSignalEvent | TemplateStatusEvent | OtherEvent;

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);
const toMs = (value: unknown): number => {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
};

function withOptional<T extends object>(target: T, fields: Record<string, string | undefined>): T {
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  return target;
}

function parseTemplateStatus(value: Record<string, unknown>, wabaId: string | undefined): WebhookEvent[] {
  const event = asString(value.event);
  const templateName = asString(value.message_template_name);
  if (!event || !templateName) return [{ kind: 'other', type: 'message_template_status_update' }];
  return [
    withOptional<TemplateStatusEvent>(
      { kind: 'template-status', event, templateName },
      {
        language: asString(value.message_template_language),
        templateId: asString(value.message_template_id),
        category: asString(value.message_template_category),
        reason: asString(value.reason),
        wabaId,
      },
    ),
  ];
}

function parseValue(value: Record<string, unknown>, field: string | undefined): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  const phoneNumberId = asString(asRecord(value.metadata)?.phone_number_id);
  const firstContact = asRecord(asArray(value.contacts)[0]);
  const contactWaId = asString(firstContact?.wa_id);
  const contactUserId = asString(firstContact?.user_id);

  for (const raw of asArray(value.statuses)) {
    const status = asRecord(raw);
    const wamid = asString(status?.id);
    const state = asString(status?.status);
    if (!status || !wamid || !state) continue;
    const pricing = asRecord(status.pricing);
    const origin = asRecord(asRecord(status.conversation)?.origin);
    const firstError = asRecord(asArray(status.errors)[0]);
    events.push(
      withOptional<StatusEvent>(
        { kind: 'status', wamid, status: state, timestampMs: toMs(status.timestamp) },
        {
          recipient: asString(status.recipient_id),
          recipientUserId: asString(status.recipient_user_id),
          callbackData: asString(status.biz_opaque_callback_data),
          category: asString(pricing?.category) ?? asString(origin?.type),
          pricingCategory: asString(pricing?.category),
          errorCode: asString(firstError?.code),
          phoneNumberId,
        },
      ),
    );
  }

  for (const raw of asArray(value.user_actions)) {
    const action = asRecord(raw);
    if (!action) continue;
    const type = asString(action.action_type) ?? 'unknown';
    if (type !== 'marketing_messages_link_click') {
      events.push({ kind: 'other', type: `user_action:${type}` });
      continue;
    }
    const data = asRecord(action.marketing_messages_link_click_data);
    events.push(
      withOptional<ClickEvent>(
        { kind: 'click', timestampMs: toMs(action.timestamp) },
        {
          recipient: asString(action.recipient_id) ?? contactWaId,
          callbackData: asString(action.biz_opaque_callback_data),
          wamid: asString(action.id) ?? asString(action.message_id),
          clickId: asString(data?.click_id),
          trackingToken: asString(data?.tracking_token),
          clickComponent: asString(data?.click_component)?.toLowerCase(),
          productId: asString(data?.product_id),
          phoneNumberId,
        },
      ),
    );
  }

  for (const raw of asArray(value.user_preferences)) {
    const preference = asRecord(raw);
    const userId = asString(preference?.user_id) ?? contactUserId;
    const recipient = asString(preference?.wa_id) ?? (asString(preference?.user_id) === undefined ? contactWaId : undefined) ?? userId;
    const choice = asString(preference?.value);
    if (!recipient || (choice !== 'stop' && choice !== 'resume')) continue;
    events.push(withOptional<PreferenceEvent>({ kind: 'preference', recipient, value: choice, category: asString(preference?.category) ?? '' }, { userId, phoneNumberId }));
  }

  for (const raw of asArray(value.messages)) {
    const message = asRecord(raw);
    const userId = asString(message?.from_user_id) ?? contactUserId;
    const from = asString(message?.from) ?? userId;
    if (!message || !from) continue;
    if (message.type === 'button') {
      const button = asRecord(message.button);
      events.push(
        withOptional<ButtonEvent>(
          { kind: 'button', recipient: from, timestampMs: toMs(message.timestamp) },
          { userId, payload: asString(button?.payload), text: asString(button?.text), contextWamid: asString(asRecord(message.context)?.id), phoneNumberId },
        ),
      );
      continue;
    }
    events.push(withOptional<InboundEvent>({ kind: 'inbound', recipient: from }, { userId, text: asString(asRecord(message.text)?.body), phoneNumberId }));
  }

  for (const raw of asArray(value.errors)) {
    const error = asRecord(raw);
    events.push(withOptional<ErrorSignalEvent>({ kind: 'error', code: asString(error?.code) ?? 'unknown' }, { title: asString(error?.title) ?? asString(error?.message), phoneNumberId }));
  }
  if (events.length === 0) events.push({ kind: 'other', type: field ?? 'unknown' });
  return events;
}

/** All events of one webhook body (which may batch several entries and changes). */
export function parseWebhook(body: unknown): WebhookEvent[] {
  const root = asRecord(body);
  if (!root) return [{ kind: 'other', type: 'not-an-object' }];
  const events: WebhookEvent[] = [];
  for (const entry of asArray(root.entry)) {
    for (const change of asArray(asRecord(entry)?.changes)) {
      const value = asRecord(asRecord(change)?.value);
      const field = asString(asRecord(change)?.field);
      if (value && field === 'message_template_status_update') events.push(...parseTemplateStatus(value, asString(asRecord(entry)?.id)));
      else if (value) events.push(...parseValue(value, field));
    }
  }
  return events.length > 0 ? events : [{ kind: 'other', type: 'empty' }];
}

/** Inbound texts that mean "stop sending me marketing" (trimmed, case-insensitive). */
export const STOP_KEYWORDS: ReadonlySet<string> = new Set(['stop', 'stopp', 'unsubscribe', 'opt out', 'optout', 'cancel', 'end', 'quit', 'parar', 'pare', 'baja', 'arret', 'arrêt', 'stop promo']);

export function isStopKeyword(text: string | undefined): boolean {
  return text !== undefined && STOP_KEYWORDS.has(text.trim().toLowerCase().replace(/[.!]+$/, ''));
}

/**
 * A quick-reply tap that opts out: the marketing template's "Stop promotions" button (Meta's
 * standard marketing opt-out button), or any button whose payload or text is a stop keyword.
 */
export function isStopButton(payload: string | undefined, text: string | undefined): boolean {
  const opts = (value: string | undefined) => value !== undefined && (/(^|[^a-z])stop([^a-z]|$)|unsubscribe|opt[ _-]?out/i.test(value) || isStopKeyword(value));
  return opts(payload) || opts(text);
}
