/**
 * The webhook fast path (webhook-intake.ts `handle`): plain POSTs to a webhook path are answered by
 * the HTTP server before fastify's request cycle, over real HTTP against real Redis. They must get
 * exactly the answers the fastify routes give (the same `receive` decides both), store what they
 * accept, and leave every other request to fastify.
 */
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.ts';
import { webhookSignature } from '../../src/api/webhook-intake.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createEventsStream } from '../../src/webhooks/events-stream.ts';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture.ts';

const TOKEN = 'test-api-token-0123456789';
const SECRET = 'hook-secret-fast-path';
const SIGNING = 'signing-secret-fast-path';

let f: PipelineFixture;
let app: FastifyInstance;
let base: string;
let stream: ReturnType<typeof createEventsStream>;
/** Webhook requests that reached fastify's request cycle. */
let reachedFastify = 0;

beforeAll(async () => {
  f = await createPipelineFixture({ mps: 100, env: { LITECAST_API_TOKEN: TOKEN, LITECAST_WEBHOOK_SECRET: SECRET, LITECAST_WEBHOOK_SIGNING_SECRET: SIGNING } });
  stream = createEventsStream(f.ctx.redis, f.ctx.keys);
  app = await buildApi({ ctx: f.ctx, events: stream, metrics: createMetrics() });
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/webhooks/')) reachedFastify += 1;
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await stream.close();
  await f.close();
});

const payload = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'waba', changes: [{ field: 'messages', value: { statuses: [{ id: 'wamid.fast', status: 'delivered', timestamp: '1700000000', recipient_id: '447000000001' }] } }] }] });
const good = (body: string | Buffer = payload) => ({ 'content-type': 'application/json', 'x-litecast-webhook-secret': SECRET, 'x-360dialog-signature': webhookSignature(body, SIGNING) });

/** The same request over real HTTP (fast path) and through inject() (fastify's route). */
async function both(path: string, headers: Record<string, string>, body: string | Buffer) {
  const before = reachedFastify;
  const http = await fetch(`${base}${path}`, { method: 'POST', headers, body });
  const httpBody = await http.text();
  const viaFastPath = reachedFastify === before;
  const injected = await app.inject({ method: 'POST', url: path, headers, payload: body });
  return { http: { status: http.status, body: httpBody, type: http.headers.get('content-type') }, injected: { status: injected.statusCode, body: injected.body }, viaFastPath };
}

describe('webhook fast path', () => {
  it('answers an accepted webhook 200 without fastify, after storing it with its channel', async () => {
    const before = await f.ctx.redis.xlen(f.ctx.keys.webhookStream);
    const r = await both('/webhooks/360dialog/main?source=360dialog', good(), payload);
    expect(r.viaFastPath).toBe(true);
    expect(r.http).toEqual({ status: 200, body: '{"ok":true}', type: 'application/json; charset=utf-8' });
    expect(r.injected).toEqual({ status: 200, body: '{"ok":true}' });
    // Two stored: one through each path, both with the channel of the URL.
    const entries = await f.ctx.redis.xrange(f.ctx.keys.webhookStream, '-', '+');
    expect(entries.length - before).toBe(2);
    for (const [, fields] of entries.slice(-2)) expect(fields).toEqual(['b', payload, 't', expect.any(String), 'c', 'main']);
  });

  it.each([
    ['a wrong secret', '/webhooks/360dialog/main', { ...good(), 'x-litecast-webhook-secret': 'nope' }, payload, 401, 'LITECAST_ERR_WEBHOOK_REJECTED'],
    ['a wrong signature', '/webhooks/360dialog/main', { ...good(), 'x-360dialog-signature': 'ab'.repeat(32) }, payload, 401, 'LITECAST_ERR_WEBHOOK_REJECTED'],
    ['a text body', '/webhooks/360dialog/main', { ...good(), 'content-type': 'text/plain' }, payload, 415, 'LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE'],
    ['a body that is not JSON', '/webhooks/360dialog/main', good('{"entry":'), '{"entry":', 400, 'LITECAST_ERR_VALIDATION'],
    ['an unknown channel', '/webhooks/360dialog/nosuchchannel', good(), payload, 404, 'LITECAST_ERR_UNKNOWN_CHANNEL'],
  ])('gives %s the same answer as the fastify route', async (_what, path, headers, body, status, code) => {
    const before = await f.ctx.redis.xlen(f.ctx.keys.webhookStream);
    const r = await both(path, headers, body);
    expect(r.viaFastPath).toBe(true);
    expect(r.http.status).toBe(status);
    expect(JSON.parse(r.http.body)).toMatchObject({ error: { code } });
    expect(r.http.body).toBe(r.injected.body);
    expect(r.injected.status).toBe(status);
    expect(await f.ctx.redis.xlen(f.ctx.keys.webhookStream)).toBe(before);
  });

  it('refuses a compressed body and one over the limit, storing nothing', async () => {
    const before = await f.ctx.redis.xlen(f.ctx.keys.webhookStream);
    const gz = gzipSync(payload);
    const compressed = await fetch(`${base}/webhooks/360dialog/main`, { method: 'POST', headers: { ...good(gz), 'content-encoding': 'gzip' }, body: gz });
    expect(compressed.status).toBe(415);
    expect(await compressed.json()).toMatchObject({ error: { code: 'LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE' } });
    const huge = Buffer.alloc(5 * 1024 * 1024 + 1, 0x20);
    const large = await fetch(`${base}/webhooks/360dialog/main`, { method: 'POST', headers: good(huge), body: huge });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: { code: 'LITECAST_ERR_PAYLOAD_TOO_LARGE' } });
    expect(await f.ctx.redis.xlen(f.ctx.keys.webhookStream)).toBe(before);
  });

  it("serves on a server with fastify's own timeouts (72 s keep-alive, no request timeout for long uploads)", () => {
    expect(app.server.keepAliveTimeout).toBe(72_000);
    expect(app.server.requestTimeout).toBe(0);
  });

  it('leaves other methods and paths to fastify', async () => {
    const before = reachedFastify;
    const get = await fetch(`${base}/webhooks/360dialog/main`);
    expect(get.status).toBe(404);
    expect(await get.json()).toMatchObject({ error: { code: 'LITECAST_ERR_NOT_FOUND' } });
    const odd = await fetch(`${base}/webhooks/360dialog/main/extra`, { method: 'POST', headers: good(), body: payload });
    expect(odd.status).toBe(404);
    expect(reachedFastify - before).toBe(2);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
  });
});
