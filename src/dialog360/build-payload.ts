/**
 * Shapes a message for each route. The lite payload carries the MM Lite extras; the cloud payload
 * is the same message with every lite-only field removed, because `/messages` does not know them
 * (Meta's schemas, whatsapp-api.md §1.2).
 */
import type { OutboundMessage } from '../shared/outbound-message.ts';
import type { MessagePayload } from './message-payload.ts';

/** Meta's allowed custom TTL for marketing templates, in seconds (12 hours to 30 days). */
export const MARKETING_TTL_RANGE = Object.freeze({ min: 43_200, max: 2_592_000 });

/** Fields `/messages` does not accept; stripped before a cloud send or a fallback. */
export const LITE_ONLY_FIELDS = ['product_policy', 'message_activity_sharing', 'message_send_ttl_seconds'] as const;

/** Meta's limit on `biz_opaque_callback_data`. */
const MAX_CALLBACK_DATA_LENGTH = 512;

/** Returns a problem description when `ttlSeconds` is outside the marketing range, else undefined. */
export function checkTtlSeconds(ttlSeconds: number): string | undefined {
  if (!Number.isInteger(ttlSeconds)) return `TTL must be a whole number of seconds, got ${ttlSeconds}`;
  if (ttlSeconds < MARKETING_TTL_RANGE.min || ttlSeconds > MARKETING_TTL_RANGE.max) {
    return `TTL ${ttlSeconds} s is outside Meta's marketing range ${MARKETING_TTL_RANGE.min}–${MARKETING_TTL_RANGE.max} s (12 hours to 30 days)`;
  }
  return undefined;
}

/** Builds the `/marketing_messages` body. Throws a RangeError for a TTL outside the marketing range. */
export function buildLitePayload(message: OutboundMessage): MessagePayload {
  const payload: MessagePayload = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: message.to,
    type: 'template',
    template: {
      name: message.template.name,
      language: { policy: 'deterministic', code: message.template.language },
      ...(message.template.components && message.template.components.length > 0 ? { components: message.template.components } : {}),
    },
  };
  if (message.ttlSeconds !== undefined) {
    const problem = checkTtlSeconds(message.ttlSeconds);
    if (problem) throw new RangeError(problem);
    payload.message_send_ttl_seconds = message.ttlSeconds;
  }
  if (message.activitySharing !== undefined) payload.message_activity_sharing = message.activitySharing;
  if (message.productPolicy !== undefined) payload.product_policy = message.productPolicy;
  if (message.callbackData.length > MAX_CALLBACK_DATA_LENGTH) {
    throw new RangeError(`biz_opaque_callback_data is ${message.callbackData.length} characters; Meta allows ${MAX_CALLBACK_DATA_LENGTH}`);
  }
  payload.biz_opaque_callback_data = message.callbackData;
  return payload;
}

/** The same message for `/messages`: a copy without the lite-only fields. */
export function toCloudPayload(lite: MessagePayload): MessagePayload {
  const cloud: MessagePayload = { ...lite };
  for (const field of LITE_ONLY_FIELDS) delete cloud[field];
  return cloud;
}

/** Builds the body for a route. */
export function buildPayload(message: OutboundMessage, route: 'lite' | 'cloud'): MessagePayload {
  const lite = buildLitePayload(message);
  return route === 'lite' ? lite : toCloudPayload(lite);
}
