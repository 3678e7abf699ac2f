/**
 * What litecast sends, in its own terms: one marketing template message for one recipient, and
 * the two routes it can take. The 360dialog wire shape lives in dialog360/message-payload.ts.
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
  /** `product_policy` for the lite route: `STRICT` = MM only, Meta never delivers it through the Cloud API instead. */
  productPolicy?: 'STRICT' | 'CLOUD_API_FALLBACK';
  /** `biz_opaque_callback_data`: names campaign and recipient so webhooks can be matched (≤ 512 chars). */
  callbackData: string;
};
