/**
 * The HTTP API (fastify). `buildApi()` returns the app without listening, so tests drive it with
 * `inject()`; `startApi()` listens. Every route but health, readiness and webhooks needs
 * `Authorization: Bearer <LITECAST_API_TOKEN>`; every error is JSON with a stable code.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { AppContext } from '../shared/app-context.ts';
import { LitecastError, isLitecastError, type ErrorCode } from '../shared/errors.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { WebhookJob } from '../webhooks/process-webhook.ts';
import { registerCampaignRoutes } from './campaign-routes.ts';
import { registerChannelRoutes } from './channel-routes.ts';
import { registerOpsRoutes } from './ops-routes.ts';
import { registerWebhookRoutes } from './webhook-routes.ts';

export type ApiDeps = {
  ctx: AppContext;
  eventsQueue: Queue<WebhookJob>;
  metrics: Metrics;
  limits?: { jsonBodyBytes?: number; uploadBytes?: number };
};

/** Paths reachable without the API token. */
const PUBLIC_PREFIXES = ['/healthz', '/readyz', '/webhooks/'];

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Compares two secrets in constant time (hashing first, so lengths do not leak either). */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** A constant-time check against one fixed secret, hashed once rather than on every request. */
export function secretChecker(expected: string): (given: string) => boolean {
  const digest = sha256(expected);
  return (given) => timingSafeEqual(sha256(given), digest);
}

export function errorBody(code: ErrorCode | string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

/** Fastify's own errors, mapped to our catalogue. */
function fromFastifyError(error: FastifyError): LitecastError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new LitecastError('LITECAST_ERR_PAYLOAD_TOO_LARGE', `The request body is larger than the limit; send fewer recipients per request or upload them as CSV/NDJSON.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new LitecastError('LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE', `Unsupported content type; use application/json, text/csv or application/x-ndjson.`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new LitecastError('LITECAST_ERR_VALIDATION', 'The body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new LitecastError('LITECAST_ERR_VALIDATION', 'The Content-Length header does not match the body.');
    default:
      if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new LitecastError('LITECAST_ERR_VALIDATION', `The body is not valid JSON: ${error.message}`);
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return new LitecastError('LITECAST_ERR_VALIDATION', error.message);
      return new LitecastError('LITECAST_ERR_INTERNAL', 'Internal error; see the API log.');
  }
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { ctx } = deps;
  const token = ctx.config.apiToken;
  if (!token) throw new LitecastError('LITECAST_ERR_CONFIG', 'LITECAST_API_TOKEN is not set: the API refuses to run without a token. Set it to a random string of at least 16 characters.');

  const app = Fastify({
    logger: false,
    // Shutdown (and tests) must not wait for keep-alive or half-read upload connections.
    forceCloseConnections: true,
    bodyLimit: deps.limits?.jsonBodyBytes ?? 16 * 1024 * 1024,
    // Validation is done with zod inside the handlers (one schema per input, errors naming the field);
    // the JSON schemas on the routes document the API.
    ajv: { customOptions: { strict: false } },
  });
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // Only JSON and the recipient upload types are accepted; anything else is a clear 415.
  app.removeContentTypeParser('text/plain');

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'litecast API', version: '1.0.0', description: 'Campaigns of WhatsApp marketing messages through 360dialog (MM Lite first, Cloud API fallback).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  const tokenMatches = secretChecker(token);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // The report page itself holds no data (it asks for the token and sends it on every call).
    if (path === '/' || PUBLIC_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix))) return;
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!given || !tokenMatches(given)) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody('LITECAST_ERR_UNAUTHORIZED', header ? 'The bearer token is wrong.' : 'Missing "Authorization: Bearer <LITECAST_API_TOKEN>" header.'));
    }
  });

  app.setErrorHandler(async (error, request, reply) => {
    const known = isLitecastError(error) ? error : fromFastifyError(error as FastifyError);
    if (known.code === 'LITECAST_ERR_INTERNAL') ctx.logger.error({ err: error, url: request.url }, 'api error');
    await reply.code(known.httpStatus).send(errorBody(known.code, known.message, known.details));
  });
  app.setNotFoundHandler(async (request, reply) => {
    await reply.code(404).send(errorBody('LITECAST_ERR_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}; see GET /docs.`));
  });

  registerOpsRoutes(app, deps);
  registerChannelRoutes(app, deps);
  registerCampaignRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  return app;
}
