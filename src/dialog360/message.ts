/**
 * The shapes litecast sends to 360dialog: one marketing template message, and the two routes it
 * can take.
 */

/** `lite` = Marketing Messages Lite (`POST /marketing_messages`); `cloud` = Cloud API (`POST /messages`). */
export type Route = 'lite' | 'cloud';

/** A Meta template component (`{ type: 'body', parameters: [...] }` and friends), passed through as given. */
export type TemplateComponent = { type: string; [field: string]: unknown };

/** One message for one recipient, before it is shaped for a route. */
export type OutboundMessage = {
  /** Recipient phone number: digits, international format, no `+`. */
  to: string;
  template: { name: string; language: string; components?: TemplateComponent[] };
  /** `message_send_ttl_seconds` for the lite route (marketing range 43,200–2,592,000). */
  ttlSeconds?: number;
  /** `message_activity_sharing` for the lite route; omitted when undefined (the WABA default applies). */
  activitySharing?: boolean;
  /** `biz_opaque_callback_data`: names campaign and recipient so webhooks can be matched (≤ 512 chars). */
  callbackData: string;
};

/** The JSON body of a template send; lite-only fields are absent on the cloud route. */
export type MessagePayload = {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to: string;
  type: 'template';
  template: {
    name: string;
    language: { policy: 'deterministic'; code: string };
    components?: TemplateComponent[];
  };
  message_send_ttl_seconds?: number;
  message_activity_sharing?: boolean;
  product_policy?: 'CLOUD_API_FALLBACK' | 'STRICT';
  biz_opaque_callback_data?: string;
};
