/**
 * The HTTP API (fastify). `buildApi()` returns the app without listening, so tests drive it with
 * `inject()`; `startApi()` listens. Every route but health, readiness and webhooks needs
 * `Authorization: Bearer <LITECAST_API_TOKEN>`; every error is JSON with a stable code.
 */
import { createServer } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { LitecastError, isLitecastError } from '../shared/errors.ts';
import type { ApiDeps } from './api-deps.ts';
import { answerClientError, errorBody, fromFastifyError } from './api-errors.ts';
import { parseJsonBody } from './parse-json-body.ts';
import { registerCampaignRoutes } from './campaign-routes.ts';
import { registerChannelRoutes } from './channel-routes.ts';
import { registerOpsRoutes } from './ops-routes.ts';
import { createWebhookIntake } from './webhook-intake.ts';
import { registerWebhookRoutes } from './webhook-routes.ts';
import { secretChecker } from './secret-compare.ts';

export type { ApiDeps } from './api-deps.ts';

/** Paths reachable without the API token. */
const PUBLIC_PREFIXES = ['/healthz', '/readyz', '/webhooks/'];

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { ctx } = deps;
  const token = ctx.config.apiToken;
  if (!token) throw new LitecastError('LITECAST_ERR_CONFIG', 'LITECAST_API_TOKEN is not set: the API refuses to run without a token. Set it to a random string of at least 16 characters.');

  const intake = createWebhookIntake(deps);
  const app = Fastify({
    logger: false,
    // Plain webhook POSTs are taken before fastify's request cycle (webhook-intake.ts): at one
    // status per POST that cycle was about a third of a webhook's CPU. Everything else is fastify's.
    serverFactory: (handler, options) => {
      const server = createServer((request, response) => {
        if (!intake.handle(request, response)) handler(request, response);
      });
      // What fastify sets on a server it creates itself (72 s keep-alive, no request timeout, so
      // a long upload on a slow link is not cut at Node's default 5 minutes).
      const setting = (name: string, fallback: number) => (typeof options[name] === 'number' ? (options[name] as number) : fallback);
      server.keepAliveTimeout = setting('keepAliveTimeout', 72_000);
      server.requestTimeout = setting('requestTimeout', 0);
      server.setTimeout(setting('connectionTimeout', 0));
      if (setting('maxRequestsPerSocket', 0) > 0) server.maxRequestsPerSocket = setting('maxRequestsPerSocket', 0);
      return server;
    },
    // Shutdown (and tests) must not wait for keep-alive or half-read upload connections.
    forceCloseConnections: true,
    bodyLimit: deps.limits?.jsonBodyBytes ?? 16 * 1024 * 1024,
    // Validation is done with zod inside the handlers (one schema per input, errors naming the field);
    // the JSON schemas on the routes document the API.
    ajv: { customOptions: { strict: false } },
    // Fastify's and the HTTP server's own refusals answer in litecast's error format too.
    frameworkErrors: (error, _request, reply) => {
      const known = fromFastifyError(error);
      void (reply as unknown as FastifyReply).code(known.httpStatus).send(errorBody(known.code, known.message));
    },
    clientErrorHandler: answerClientError,
  });
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // Only JSON and the recipient upload types are accepted; anything else is a clear 415.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseJsonBody(text as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

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
    // The scheme name is case-insensitive (RFC 7235): "bearer x" is as good as "Bearer x".
    const scheme = /^bearer +/i.exec(header);
    const given = scheme ? header.slice(scheme[0].length) : '';
    if (!given || !tokenMatches(given)) {
      await reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody('LITECAST_ERR_UNAUTHORIZED', header ? 'The bearer token is wrong.' : 'Missing "Authorization: Bearer <LITECAST_API_TOKEN>" header.'));
    }
  });

  // A gzip body would otherwise be read as text: refuse any Content-Encoding but identity.
  app.addHook('preParsing', async (request) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new LitecastError('LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${encoding.slice(0, 20)}" is not accepted; send the body uncompressed, without a Content-Encoding header.`);
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
  registerWebhookRoutes(app, intake);
  return app;
}
