/**
 * Turns a 360dialog/Meta webhook body into a flat list of events: message statuses, MM Lite link
 * clicks, marketing opt-outs (`user_preferences`) and inbound texts. Pure and tolerant: unknown
 * fields and unknown kinds are kept as `other`, never an error.
 */

export type StatusEvent = {
  kind: 'status';
  wamid: string;
  /** sent | delivered | read | failed | played (or something newer, kept as given). */
  status: string;
  /** Meta's timestamp (unix seconds) in ms; 0 when missing. */
  timestampMs: number;
  recipient?: string;
  callbackData?: string;
  /** `pricing.category` (or `conversation.origin.type`): `marketing_lite` when MM Lite delivered it. */
  category?: string;
  /** First error code of a failed status. */
  errorCode?: string;
  phoneNumberId?: string;
};

export type ClickEvent = {
  kind: 'click';
  timestampMs: number;
  recipient?: string;
  callbackData?: string;
  wamid?: string;
  clickId?: string;
  phoneNumberId?: string;
};

export type PreferenceEvent = { kind: 'preference'; recipient: string; value: 'stop' | 'resume'; category: string; phoneNumberId?: string };
export type InboundEvent = { kind: 'inbound'; recipient: string; text?: string; phoneNumberId?: string };
export type OtherEvent = { kind: 'other'; type: string };

export type WebhookEvent = StatusEvent | ClickEvent | PreferenceEvent | InboundEvent | OtherEvent;

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

function parseValue(value: Record<string, unknown>, field: string | undefined): WebhookEvent[] {
  const events: WebhookEvent[] = [];
  const phoneNumberId = asString(asRecord(value.metadata)?.phone_number_id);
  const contactWaId = asString(asRecord(asArray(value.contacts)[0])?.wa_id);

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
          callbackData: asString(status.biz_opaque_callback_data),
          category: asString(pricing?.category) ?? asString(origin?.type),
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
          phoneNumberId,
        },
      ),
    );
  }

  for (const raw of asArray(value.user_preferences)) {
    const preference = asRecord(raw);
    const recipient = asString(preference?.wa_id) ?? contactWaId;
    const choice = asString(preference?.value);
    if (!recipient || (choice !== 'stop' && choice !== 'resume')) continue;
    events.push(withOptional<PreferenceEvent>({ kind: 'preference', recipient, value: choice, category: asString(preference?.category) ?? '' }, { phoneNumberId }));
  }

  for (const raw of asArray(value.messages)) {
    const message = asRecord(raw);
    const from = asString(message?.from);
    if (!message || !from) continue;
    events.push(withOptional<InboundEvent>({ kind: 'inbound', recipient: from }, { text: asString(asRecord(message.text)?.body), phoneNumberId }));
  }

  for (const raw of asArray(value.errors)) events.push({ kind: 'other', type: `error:${asString(asRecord(raw)?.code) ?? 'unknown'}` });
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
      if (value) events.push(...parseValue(value, asString(asRecord(change)?.field)));
    }
  }
  return events.length > 0 ? events : [{ kind: 'other', type: 'empty' }];
}

/** Inbound texts that mean "stop sending me marketing" (trimmed, case-insensitive). */
export const STOP_KEYWORDS: ReadonlySet<string> = new Set(['stop', 'stopp', 'unsubscribe', 'opt out', 'optout', 'cancel', 'end', 'quit', 'parar', 'pare', 'baja', 'arret', 'arrêt', 'stop promo']);

export function isStopKeyword(text: string | undefined): boolean {
  return text !== undefined && STOP_KEYWORDS.has(text.trim().toLowerCase().replace(/[.!]+$/, ''));
}
