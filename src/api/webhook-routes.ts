/**
 * 360dialog webhooks: checked (shared secret header, optional HMAC signature of the raw body),
 * appended to the webhook stream (200 only once Redis has it, 503 when it cannot take it); the
 * workers' consumer group applies them.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { LitecastError } from '../shared/errors.ts';
import { parseWebhook } from '../webhooks/parse-webhook.ts';
import { webhookMetricLabel } from '../webhooks/webhook-metric-label.ts';
import { isRedisDownError } from './api-errors.ts';
import type { ApiDeps } from './api-deps.ts';
import { secretChecker, secretsEqual } from './secret-compare.ts';
import { WEBHOOK_SECRET_HEADER } from '../shared/webhook-secret-header.ts';

/** The custom header to configure on the 360dialog webhook, carrying LITECAST_WEBHOOK_SECRET. */
export { WEBHOOK_SECRET_HEADER };

/** How long a channel found to exist is trusted without reading it again. */
const KNOWN_CHANNEL_MS = 5_000;

/** Hex HMAC-SHA256 of the raw body, as 360dialog sends it in `x-360dialog-signature`. */
export function webhookSignature(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function registerWebhookRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { config } = deps.ctx;
  const secretMatches = config.webhookSecret ? secretChecker(config.webhookSecret) : undefined;
  // Channels seen to exist in the last few seconds: a webhook then costs one Redis write (the XADD),
  // not a read before it. Only hits are remembered, so a mistyped channel is refused every time.
  const knownChannels = new Map<string, number>();
  const channelExists = async (channelId: string) => {
    if ((knownChannels.get(channelId) ?? 0) > Date.now()) return;
    await deps.ctx.channels.get(channelId);
    if (knownChannels.size > 10_000) knownChannels.clear();
    knownChannels.set(channelId, Date.now() + KNOWN_CHANNEL_MS);
  };
  void app.register(async (scope) => {
    // The signature covers the raw bytes, so this scope parses JSON itself.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (_request, body, done) => done(null, body));

    const handler = async (request: { body: unknown; headers: Record<string, string | string[] | undefined>; params: { channelId?: string } }) => {
      const started = process.hrtime.bigint();
      const type = (String(request.headers['content-type'] ?? '').split(';')[0] ?? '').trim().toLowerCase();
      if (type !== 'application/json') {
        throw new LitecastError('LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE', `A webhook body must be sent as application/json, not "${type.slice(0, 60) || 'no content type'}"; 360dialog sends JSON, so check what posts to this URL.`);
      }
      if (!secretMatches) {
        throw new LitecastError('LITECAST_ERR_NOT_READY', 'LITECAST_WEBHOOK_SECRET is not set, so webhooks cannot be authenticated; set it and configure it as a custom header on the 360dialog webhook.');
      }
      const given = request.headers[WEBHOOK_SECRET_HEADER];
      if (typeof given !== 'string' || !secretMatches(given)) {
        throw new LitecastError('LITECAST_ERR_WEBHOOK_REJECTED', `Missing or wrong ${WEBHOOK_SECRET_HEADER} header.`);
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.from('');
      if (config.webhookSigningSecret) {
        const signature = request.headers['x-360dialog-signature'];
        // Hex is case-insensitive: an upper-case signature is the same signature.
        if (typeof signature !== 'string' || !secretsEqual(signature.trim().replace(/^sha256=/i, '').toLowerCase(), webhookSignature(raw, config.webhookSigningSecret))) {
          throw new LitecastError('LITECAST_ERR_WEBHOOK_REJECTED', 'The x-360dialog-signature does not match the body.');
        }
      }
      const text = raw.toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new LitecastError('LITECAST_ERR_VALIDATION', `The webhook body is not valid JSON: ${(error as Error).message}`);
      }
      try {
        // A mistyped channel in the URL must not file an opt-out under a key nothing reads.
        if (request.params.channelId !== undefined) await channelExists(request.params.channelId);
        await deps.events.add({ body: text, receivedAt: Date.now(), ...(request.params.channelId ? { channelId: request.params.channelId } : {}) });
      } catch (error) {
        // Not stored: a 503 makes 360dialog retry the webhook later instead of dropping it.
        if (isRedisDownError(error)) throw new LitecastError('LITECAST_ERR_REDIS_UNREACHABLE', 'The webhook could not be stored (Redis is not reachable); send it again later.', undefined, { cause: error });
        throw error;
      }
      for (const event of parseWebhook(body)) deps.metrics.webhookEvents.inc({ type: webhookMetricLabel(event), stage: 'received' });
      deps.metrics.webhookAck.observe(Number(process.hrtime.bigint() - started) / 1e9);
      return { ok: true };
    };

    const schema = { summary: '360dialog webhook receiver (needs the x-litecast-webhook-secret header, not the API token)', security: [] };
    scope.post('/webhooks/360dialog', { schema }, async (request) => handler({ body: request.body, headers: request.headers, params: {} }));
    scope.post<{ Params: { channelId: string } }>('/webhooks/360dialog/:channelId', { schema }, async (request) => handler({ body: request.body, headers: request.headers, params: request.params }));
  });
}
