/** The custom header 360dialog must send with each webhook (set on the channel's webhook configuration). */
export const WEBHOOK_SECRET_HEADER = 'x-litecast-webhook-secret';
