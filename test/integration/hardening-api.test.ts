/**
 * Issue 17, hostile clients against the API (real Redis, the sandbox, fastify inject() and real
 * HTTP): idempotent creation, webhook channel ids, misspelt options, startAt bounds, deep
 * components, metric labels, auth header and signature spelling, every error in litecast's format,
 * and the base URL allow-list. Each case is recorded for RELIABILITY.md.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.ts';
import { webhookSignature } from '../../src/api/webhook-routes.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { batchJobId } from '../../src/shared/send-queue.ts';
import { createEventsStream } from '../../src/webhooks/events-stream.ts';
import { createPipelineFixture, PROMO_COMPONENTS, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { recordHostile } from '../support/record-hostile.ts';
import { runLitecast } from '../support/spawn-litecast.ts';
import { childEnv } from '../support/test-env.ts';

const TOKEN = 'test-api-token-0123456789';
const WEBHOOK_SECRET = 'hook-secret-123';
const SIGNING_SECRET = 'signing-secret-456';
const auth = { authorization: `Bearer ${TOKEN}` };
const hook = { 'x-litecast-webhook-secret': WEBHOOK_SECRET, 'content-type': 'application/json' };

let f: PipelineFixture;
let app: FastifyInstance;
let port: number;
let eventsQueue: ReturnType<typeof createEventsStream>;

const phone = (i: number) => `4470${String(i).padStart(8, '0')}`;
const later = () => new Date(Date.now() + 3_600_000).toISOString();
const FIXED_START = later();
const body = (extra: Record<string, unknown> = {}) => ({
  channelId: 'main',
  template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS },
  ttlSeconds: 43_200,
  startAt: later(),
  recipients: [{ phone: phone(1), name: 'A' }],
  ...extra,
});

beforeAll(async () => {
  f = await createPipelineFixture({ mps: 500, env: { LITECAST_API_TOKEN: TOKEN, LITECAST_WEBHOOK_SECRET: WEBHOOK_SECRET, LITECAST_WEBHOOK_SIGNING_SECRET: SIGNING_SECRET } });
  eventsQueue = createEventsStream(f.ctx.redis, f.ctx.keys);
  app = await buildApi({ ctx: f.ctx, events: eventsQueue, metrics: createMetrics() });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  port = Number(new URL(url).port);
});
afterAll(async () => {
  await app.close();
  await eventsQueue.close();
  await f.close();
});

const campaignCount = async () => (await f.ctx.campaigns.listIds(0, 1)).total;
const signed = (payload: string) => ({ ...hook, 'x-360dialog-signature': webhookSignature(payload, SIGNING_SECRET) });

/** Sends raw bytes over one connection and returns the whole answer. */
function rawHttp(request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(request);
  });
}
const jsonOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };

describe('item 1: Idempotency-Key on POST /v1/campaigns', () => {
  it('the same key returns the first answer; the same key with another body is refused', async () => {
    const before = await campaignCount();
    const key = { ...auth, 'idempotency-key': 'retry-me-0001' };
    const first = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: key, payload: body({ startAt: FIXED_START }) });
    expect(first.statusCode).toBe(201);
    const again = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: key, payload: body({ startAt: FIXED_START }) });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: key, payload: body({ startAt: FIXED_START, batchSize: 7 }) });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ error: { code: 'LITECAST_ERR_IDEMPOTENCY_MISMATCH', message: expect.stringContaining('new key') } });
    expect(await campaignCount()).toBe(before + 1);
    await recordHostile({ table: 'hostile', where: 'API', input: 'POST /v1/campaigns repeated with the same Idempotency-Key; the same key with a different body', result: 'the first answer again (201, `idempotent-replayed: true`), one campaign; 422 `LITECAST_ERR_IDEMPOTENCY_MISMATCH`' });
  });
});

describe('item 3: webhook URL channel ids', () => {
  it('a webhook for a channel that does not exist is a 404 and is not stored', async () => {
    const payload = JSON.stringify({ entry: [{ changes: [{ field: 'messages', value: { messages: [{ from: phone(9), type: 'text', text: { body: 'STOP' } }] } }] }] });
    const before = await eventsQueue.length();
    const res = await app.inject({ method: 'POST', url: '/webhooks/360dialog/mian', headers: signed(payload), payload });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'LITECAST_ERR_UNKNOWN_CHANNEL' } });
    expect(await eventsQueue.length()).toBe(before);
    expect(await f.ctx.redis.exists(f.ctx.keys.channelSuppressed('mian'))).toBe(0);
    const good = await app.inject({ method: 'POST', url: '/webhooks/360dialog/main', headers: signed(payload), payload });
    expect(good.statusCode).toBe(200);
    await recordHostile({ table: 'hostile', where: 'webhooks', input: 'a STOP posted to /webhooks/360dialog/mian (a mistyped channel id)', result: '404 `LITECAST_ERR_UNKNOWN_CHANNEL`; nothing stored or suppressed' });
  });
});

describe('item 6: deeply nested components', () => {
  it('are refused with a 400 before anything is written', async () => {
    const before = await campaignCount();
    let deep: unknown = 'x';
    for (let i = 0; i < 2_000; i += 1) deep = [deep];
    const res = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: body({ template: { name: 'litecast_promo', language: 'en', components: [{ type: 'body', parameters: deep }] } }) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'LITECAST_ERR_VALIDATION', message: expect.stringContaining('nested more than') } });
    const wide = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: body({ template: { name: 'litecast_promo', language: 'en', components: Array.from({ length: 20_000 }, () => ({ type: 'body' })) } }) });
    expect(wide.statusCode).toBe(400);
    expect(await campaignCount()).toBe(before);
    await recordHostile({ table: 'hostile', where: 'API', input: 'template components nested 2,000 deep, or 20,000 of them', result: '400 naming `template.components` and the limit (12 levels, 10,000 values); nothing created' });
  });
});

describe('item 7: misspelt options', () => {
  it('are refused naming the field and the option meant, in a JSON body and in a query string', async () => {
    for (const [extra, field, meant] of [
      [{ ttl: 43_200 }, 'ttl', 'ttlSeconds'],
      [{ batch_size: 10 }, 'batch_size', 'batchSize'],
      [{ template: { name: 'litecast_promo', language: 'en', componets: PROMO_COMPONENTS } }, 'template.componets', 'components'],
    ] as const) {
      const res = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: body(extra) });
      expect(res.statusCode).toBe(400);
      expect((res.json() as { error: { message: string } }).error.message).toContain(`${field}: unknown option; did you mean "${meant}"?`);
    }
    const query = new URLSearchParams({ channelId: 'main', template: 'litecast_promo', language: 'en', batch_size: '5' });
    const upload = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...auth, 'content-type': 'text/csv' }, payload: `phone\n${phone(2)}\n` });
    expect(upload.statusCode).toBe(400);
    expect((upload.json() as { error: { message: string } }).error.message).toContain('query parameter batch_size: unknown option; did you mean "batchSize"?');
    await recordHostile({ table: 'hostile', where: 'API', input: 'misspelt options (`ttl`, `batch_size`, `template.componets`) in a JSON body or a query string', result: '400 naming the field and the option meant ("did you mean ttlSeconds?"); nothing created' });
  });
});

describe('item 8: startAt bounds', () => {
  it('refuses a startAt beyond a year or in the past, and the list keeps working', async () => {
    const before = await campaignCount();
    for (const startAt of [8.64e15, Date.now() + 400 * 24 * 3600_000, '9999-12-31T00:00:00Z']) {
      const res = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: body({ startAt }) });
      expect(res.statusCode).toBe(400);
      expect((res.json() as { error: { message: string } }).error.message).toContain('startAt: must be at most a year ahead');
    }
    const past = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: body({ startAt: '2020-01-01T00:00:00Z' }) });
    expect(past.statusCode).toBe(400);
    expect((past.json() as { error: { message: string } }).error.message).toContain('is in the past; leave startAt out to start now');
    expect(await campaignCount()).toBe(before);
    expect((await app.inject({ method: 'GET', url: '/v1/campaigns', headers: auth })).statusCode).toBe(200);
    await recordHostile({ table: 'hostile', where: 'API', input: '`startAt` beyond the date range, more than a year ahead, or in the past', result: '400 saying which bound and what to do; nothing created; list and status unaffected' });
  });
});

describe('item 9: cancelling a scheduled campaign', () => {
  it('moves its pending recipients to cancelled and removes its delayed jobs', async () => {
    const recipients = Array.from({ length: 5 }, (_, i) => ({ phone: phone(100 + i), name: 'x' }));
    const created = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: body({ recipients, batchSize: 2 }) });
    expect(created.statusCode).toBe(201);
    const { id } = created.json() as { id: string };
    expect(await f.ctx.queue.getJob(batchJobId(id, 0))).toBeDefined();
    const cancelled = await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/cancel`, headers: auth });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', counts: { pending: 0, cancelled: 5 } });
    for (const index of [0, 1, 2]) expect(await f.ctx.queue.getJob(batchJobId(id, index))).toBeUndefined();
    await recordHostile({ table: 'hostile', where: 'API', input: 'cancel a campaign scheduled for later', result: 'every pending recipient `cancelled` at once; its delayed jobs removed' });
  });
});

describe('item 11: metric labels from webhooks', () => {
  it('only known statuses become labels', async () => {
    const statuses = Array.from({ length: 50 }, (_, i) => ({ id: `wamid.x${i}`, status: `made-up-${i}`, timestamp: '1700000000', recipient_id: phone(1) }));
    const payload = JSON.stringify({ entry: [{ changes: [{ field: 'messages', value: { statuses, errors: [{ code: 'custom-1' }, { code: 'custom-2' }] } }] }] });
    expect((await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: signed(payload), payload })).statusCode).toBe(200);
    const text = (await app.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    expect(text).not.toContain('made-up');
    expect(text).not.toContain('custom-1');
    expect(text).toMatch(/litecast_webhook_events_total\{type="status:other",stage="received"\} 50/);
    await recordHostile({ table: 'hostile', where: 'webhooks', input: '50 made-up statuses and error codes in one webhook', result: 'counted under `status:other` / `other:error`: no new metric series' });
  });
});

describe('item 12: header spelling', () => {
  it('accepts a lower-case bearer scheme and an upper-case hex signature', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/channels', headers: { authorization: `bearer ${TOKEN}` } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/channels', headers: { authorization: `BEARER ${TOKEN}` } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/channels', headers: { authorization: `bearer wrong-token` } })).statusCode).toBe(401);
    const payload = JSON.stringify({ entry: [] });
    const upper = { ...hook, 'x-360dialog-signature': `sha256=${webhookSignature(payload, SIGNING_SECRET).toUpperCase()}` };
    expect((await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: upper, payload })).statusCode).toBe(200);
    await recordHostile({ table: 'hostile', where: 'API / webhooks', input: '`Authorization: bearer …` in lower case; an upper-case hex signature', result: 'accepted (scheme and hex compared case-insensitively); a wrong token is still 401' });
  });
});

describe('item 13: every error in litecast format', () => {
  const expectCode = (answer: { error: { code: string; message: string } }, code: string) => {
    expect(answer.error.code).toBe(code);
    expect(answer.error.message.length).toBeGreaterThan(20);
  };

  it('fastify: too long a path segment (414), a bad URL, a content-length mismatch, prototype poisoning, a gzip body', async () => {
    const long = await app.inject({ method: 'GET', url: `/v1/campaigns/${'a'.repeat(300)}`, headers: auth });
    expect(long.statusCode).toBe(414);
    expectCode(long.json(), 'LITECAST_ERR_URI_TOO_LONG');
    const bad = await app.inject({ method: 'GET', url: '/v1/campaigns/%E0%A4%A', headers: auth });
    expect(bad.statusCode).toBe(400);
    expectCode(bad.json(), 'LITECAST_ERR_VALIDATION');
    const mismatch = jsonOf(await rawHttp(`POST /v1/campaigns HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 5\r\nconnection: close\r\n\r\n{"a":1}`));
    expect(mismatch.error.code).toMatch(/^LITECAST_ERR_/);
    const short = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...auth, 'content-type': 'application/json', 'content-length': '100' }, payload: '{"a":1}' });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ error: { code: 'LITECAST_ERR_VALIDATION', message: expect.stringContaining('Content-Length') } });
    const poisoned = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"channelId":"main","__proto__":{"x":1}}' });
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json()).toMatchObject({ error: { code: 'LITECAST_ERR_VALIDATION', message: expect.stringContaining('__proto__') } });
    const gzip = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: gzipSync(JSON.stringify(body())) });
    expect(gzip.statusCode).toBe(415);
    expectCode(gzip.json(), 'LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE');
    await recordHostile({ table: 'hostile', where: 'API', input: 'a 300-character path segment, a broken %-escape, a Content-Length that does not match, a `__proto__` key, a gzip body', result: '414 / 400 / 400 / 400 / 415, each `LITECAST_ERR_*` with what to do' });
  });

  it('the HTTP server: headers over the limit (431)', async () => {
    const answer = await rawHttp(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(40_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    expectCode(jsonOf(answer), 'LITECAST_ERR_HEADERS_TOO_LARGE');
    await recordHostile({ table: 'hostile', where: 'API', input: '40 KB of headers', result: '431 `LITECAST_ERR_HEADERS_TOO_LARGE`' });
  });

  it('a webhook with a non-JSON content type is a 415 that says so', async () => {
    for (const type of ['text/plain', 'text/csv', 'application/x-www-form-urlencoded']) {
      const res = await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: { ...hook, 'content-type': type }, payload: 'a=1' });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({ error: { code: 'LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE' } });
      expect(res.body).not.toContain('Unexpected end of JSON');
    }
    await recordHostile({ table: 'hostile', where: 'webhooks', input: 'a body sent as text/plain, text/csv or a form', result: '415 `LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE`: "must be sent as application/json"' });
  });
});

describe('item 14: channel base URLs', () => {
  it('only allowed hosts, never credentials, and credentials never echoed', async () => {
    for (const baseUrl of ['http://169.254.169.254', 'http://10.0.0.5:6379', 'https://evil.example.com']) {
      const res = await app.inject({ method: 'POST', url: '/v1/channels', headers: auth, payload: { id: 'bad', baseUrl, apiKey: 'k' } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'LITECAST_ERR_FORBIDDEN_BASE_URL', message: expect.stringContaining('LITECAST_ALLOWED_BASE_URLS') } });
    }
    const creds = await app.inject({ method: 'POST', url: '/v1/channels', headers: auth, payload: { id: 'creds', baseUrl: 'https://admin:hunter2@waba-v2.360dialog.io', apiKey: 'k' } });
    expect(creds.statusCode).toBe(400);
    expect(creds.body).not.toContain('hunter2');
    const ok = await app.inject({ method: 'POST', url: '/v1/channels', headers: auth, payload: { id: 'real', baseUrl: 'https://waba-v2.360dialog.io', apiKey: 'k' } });
    expect(ok.statusCode).toBe(201);
    // A channel stored before the check: its credentials are not shown either.
    await f.ctx.redis.hset(f.ctx.keys.channels, 'old', JSON.stringify({ id: 'old', baseUrl: 'https://admin:hunter2@waba-v2.360dialog.io', mps: 80, createdAt: 1, apiKey: 'k' }));
    const list = await app.inject({ method: 'GET', url: '/v1/channels', headers: auth });
    expect(list.body).not.toContain('hunter2');
    expect(list.body).toContain('https://waba-v2.360dialog.io');
    await recordHostile({ table: 'hostile', where: 'API', input: 'a channel base URL at a cloud metadata address, an internal host, any other host; one with user:password', result: '400 `LITECAST_ERR_FORBIDDEN_BASE_URL` (allow-list `LITECAST_ALLOWED_BASE_URLS`); credentials refused and never echoed' });
  });
});

describe('item 15: unknown recipients with no webhook', () => {
  it('are reported as probably not delivered after the quiet period, and re-sent only with includeUnknown, with a warning', async () => {
    const recipients = Array.from({ length: 3 }, (_, i) => ({ phone: phone(200 + i), name: 'x' }));
    const created = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: body({ recipients, ttlSeconds: 2_592_000 }) });
    const { id } = created.json() as { id: string };
    // Each request went out and its answer never came: the ledger's own path for that is claim, then unknown.
    for (const r of recipients) {
      await f.ctx.ledger.claim(id, r.phone, 'tok');
      await f.ctx.ledger.orphanToUnknown(id, r.phone, 'tok', 'TIMEOUT');
    }
    for (let index = 0; index < 3; index += 1) await (await f.ctx.queue.getJob(batchJobId(id, index)))?.remove();
    const finish = (at: number) => f.ctx.redis.hset(f.ctx.keys.campaignMeta(id), 'state', 'completed', 'finishedAt', String(at), 'startAt', String(at - 1_000));
    await finish(Date.now());

    const fresh = (await app.inject({ method: 'GET', url: `/v1/campaigns/${id}`, headers: auth })).json() as { inDoubt: { unknown: number; verdict: string } };
    expect(fresh.inDoubt).toMatchObject({ unknown: 3, verdict: 'waiting for webhooks' });
    const early = await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/retry?includeUnknown=true`, headers: auth });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { message: expect.stringContaining('a status webhook may still arrive') } });

    await finish(Date.now() - 16 * 60_000);
    const quiet = (await app.inject({ method: 'GET', url: `/v1/campaigns/${id}`, headers: auth })).json() as { inDoubt: { unknown: number; verdict: string; hint: string } };
    expect(quiet.inDoubt).toMatchObject({ unknown: 3, verdict: 'no webhook: probably not delivered', hint: expect.stringContaining('--include-unknown') });
    const plain = (await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/retry`, headers: auth })).json() as { requeued: number };
    expect(plain.requeued).toBe(0);

    const cli = await runLitecast(['campaign', 'retry', id, '--include-unknown', '--json'], childEnv(f.config));
    expect(cli.code).toBe(0);
    expect(cli.stderr).toContain('may have been and will get the message twice');
    expect(JSON.parse(cli.stdout)).toMatchObject({ requeued: 3, unknownRequeued: 3 });
    await f.startInProcessWorker();
    await f.waitForState(id, 'completed', 20_000);
    const after = (await app.inject({ method: 'GET', url: `/v1/campaigns/${id}`, headers: auth })).json() as { counts: Record<string, number>; inDoubt: unknown };
    expect(after.counts).toMatchObject({ unknown: 0, pending: 0, sent: 3 });
    expect(after.inDoubt).toBeNull();
    await recordHostile({ table: 'hostile', where: 'API / CLI', input: '`unknown` recipients with no webhook 15 minutes after the last send; `campaign retry --include-unknown` before and after that', result: 'reported "no webhook: probably not delivered"; re-sent only on the explicit request after the quiet period (409 before), with a warning that a few may arrive twice' });
  });
});
