/**
 * 360dialog webhooks: checked (shared secret header, optional HMAC signature of the raw body),
 * acknowledged within milliseconds, and handed to a durable queue; a worker applies them.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { LitecastError } from '../shared/errors.ts';
import { parseWebhook } from '../webhooks/parse-webhook.ts';
import { secretChecker, secretsEqual, type ApiDeps } from './build-api.ts';

/** The custom header to configure on the 360dialog webhook, carrying LITECAST_WEBHOOK_SECRET. */
export const WEBHOOK_SECRET_HEADER = 'x-litecast-webhook-secret';

/** Hex HMAC-SHA256 of the raw body, as 360dialog sends it in `x-360dialog-signature`. */
export function webhookSignature(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function registerWebhookRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { config } = deps.ctx;
  const secretMatches = config.webhookSecret ? secretChecker(config.webhookSecret) : undefined;
  void app.register(async (scope) => {
    // The signature covers the raw bytes, so this scope parses JSON itself.
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 5 * 1024 * 1024 }, (_request, body, done) => done(null, body));

    const handler = async (request: { body: unknown; headers: Record<string, string | string[] | undefined>; params: { channelId?: string } }) => {
      const started = process.hrtime.bigint();
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
        if (typeof signature !== 'string' || !secretsEqual(signature.replace(/^sha256=/, ''), webhookSignature(raw, config.webhookSigningSecret))) {
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
      for (const event of parseWebhook(body)) {
        deps.metrics.webhookEvents.inc({ type: event.kind === 'status' ? `status:${event.status}` : event.kind, stage: 'received' });
      }
      await deps.eventsQueue.add('webhook', { body: text, receivedAt: Date.now(), ...(request.params.channelId ? { channelId: request.params.channelId } : {}) });
      deps.metrics.webhookAck.observe(Number(process.hrtime.bigint() - started) / 1e9);
      return { ok: true };
    };

    const schema = { summary: '360dialog webhook receiver (needs the x-litecast-webhook-secret header, not the API token)', security: [] };
    scope.post('/webhooks/360dialog', { schema }, async (request) => handler({ body: request.body, headers: request.headers, params: {} }));
    scope.post<{ Params: { channelId: string } }>('/webhooks/360dialog/:channelId', { schema }, async (request) => handler({ body: request.body, headers: request.headers, params: request.params }));
  });
}
