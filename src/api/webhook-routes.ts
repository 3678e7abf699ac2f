/**
 * The webhook endpoint as fastify routes: they document it (OpenAPI) and serve `inject()` and the
 * requests the HTTP server's fast path leaves to fastify. What a webhook gets as an answer is
 * decided in one place, webhook-intake.ts, for both.
 */
import type { FastifyInstance } from 'fastify';
import { WEBHOOK_SECRET_HEADER } from '../shared/webhook-secret-header.ts';
import { WEBHOOK_BODY_LIMIT, type WebhookIntake } from './webhook-intake.ts';

/** The custom header to configure on the 360dialog webhook, carrying LITECAST_WEBHOOK_SECRET. */
export { WEBHOOK_SECRET_HEADER };
export { webhookSignature } from './webhook-intake.ts';

export function registerWebhookRoutes(app: FastifyInstance, intake: WebhookIntake): void {
  void app.register(async (scope) => {
    // The signature covers the raw bytes, and the intake checks the content type itself.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
    const schema = { summary: '360dialog webhook receiver (needs the x-litecast-webhook-secret header, not the API token)', security: [] };
    const answer = async (request: { headers: Record<string, string | string[] | undefined>; body: unknown }, reply: { code(status: number): { header(name: string, value: string): { send(body: string): unknown } } }, channelId?: string) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const result = await intake.receive({ headers: request.headers, body, ...(channelId !== undefined ? { channelId } : {}) });
      return reply.code(result.status).header('content-type', 'application/json; charset=utf-8').send(result.body);
    };
    scope.post('/webhooks/360dialog', { schema }, async (request, reply) => answer(request, reply));
    scope.post<{ Params: { channelId: string } }>('/webhooks/360dialog/:channelId', { schema }, async (request, reply) => answer(request, reply, request.params.channelId));
  });
}
