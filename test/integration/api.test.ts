/**
 * The HTTP API through inject() and over real HTTP, with webhooks from the sandbox flowing into
 * the funnel. Real Redis, the real sandbox, an in-process worker.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.ts';
import { webhookSignature } from '../../src/api/webhook-routes.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createEventsStream } from '../../src/webhooks/events-stream.ts';
import { createPipelineFixture, PROMO_COMPONENTS, recipientsCsv, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { waitFor } from '../support/wait-for.ts';

const TOKEN = 'test-api-token-0123456789';
const WEBHOOK_SECRET = 'hook-secret-123';
const SIGNING_SECRET = 'signing-secret-456';
const auth = { authorization: `Bearer ${TOKEN}` };

let f: PipelineFixture;
let app: FastifyInstance;
let apiUrl: string;
let closeQueue: () => Promise<void>;

const phone = (i: number) => `4470${String(i).padStart(8, '0')}`;

beforeAll(async () => {
  f = await createPipelineFixture({
    mps: 500,
    env: { LITECAST_API_TOKEN: TOKEN, LITECAST_WEBHOOK_SECRET: WEBHOOK_SECRET, LITECAST_WEBHOOK_SIGNING_SECRET: SIGNING_SECRET },
    sandboxConfig: { liteIneligibleRecipients: ['55*'], recipientErrors: [{ match: '4479*', code: 131026 }, { match: '4478*', code: 131049, async: true }] },
  });
  const eventsQueue = createEventsStream(f.ctx.redis, f.ctx.keys);
  closeQueue = () => eventsQueue.close();
  app = await buildApi({ ctx: f.ctx, events: eventsQueue, metrics: createMetrics(), limits: { uploadBytes: 4 * 1024 * 1024, jsonBodyBytes: 1024 * 1024 } });
  apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  await f.startInProcessWorker();
});
afterAll(async () => {
  await app.close();
  await closeQueue();
  await f.close();
});

const campaignBody = (recipients: unknown[], extra: Record<string, unknown> = {}) => ({
  channelId: 'main',
  template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS },
  ttlSeconds: 43_200,
  recipients,
  ...extra,
});

describe('auth and operations', () => {
  it('requires the bearer token everywhere but health, readiness and webhooks', async () => {
    const missing = await app.inject({ method: 'GET', url: '/v1/channels' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ error: { code: 'LITECAST_ERR_UNAUTHORIZED', message: expect.stringContaining('Authorization') } });
    const wrong = await app.inject({ method: 'GET', url: '/v1/campaigns', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: TOKEN } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ ok: true, redis: 'up' });
  });

  it('serves an OpenAPI document listing every route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs', headers: auth })).json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/v1/channels', '/v1/channels/{id}', '/v1/campaigns', '/v1/campaigns/{id}', '/v1/campaigns/{id}/pause', '/v1/campaigns/{id}/recipients', '/v1/campaigns/{id}/retry', '/webhooks/360dialog', '/metrics']) {
      expect(doc.paths).toHaveProperty([path]);
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'LITECAST_ERR_NOT_FOUND' } });
  });
});

describe('channels', () => {
  it('adds, lists and removes channels without ever returning the API key', async () => {
    const added = await app.inject({ method: 'POST', url: '/v1/channels', headers: auth, payload: { id: 'second', baseUrl: f.sandbox.url, apiKey: 'SECRET-D360-KEY', mps: 100 } });
    expect(added.statusCode).toBe(201);
    expect(added.body).not.toContain('SECRET-D360-KEY');
    expect(added.json()).toMatchObject({ id: 'second', mps: 100 });
    const list = await app.inject({ method: 'GET', url: '/v1/channels', headers: auth });
    expect(list.body).not.toContain('SECRET-D360-KEY');
    expect((list.json() as { channels: Array<{ id: string }> }).channels.map((c) => c.id)).toEqual(['main', 'second']);
    expect((await app.inject({ method: 'DELETE', url: '/v1/channels/second', headers: auth })).statusCode).toBe(204);
    const again = await app.inject({ method: 'DELETE', url: '/v1/channels/second', headers: auth });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ error: { code: 'LITECAST_ERR_UNKNOWN_CHANNEL' } });
  });

  it('refuses invalid channels naming each field', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/channels', headers: auth, payload: { id: 'x y', baseUrl: 'nope', mps: -1 } });
    expect(res.statusCode).toBe(400);
    const { error } = res.json() as { error: { code: string; message: string } };
    expect(error.code).toBe('LITECAST_ERR_VALIDATION');
    for (const field of ['id', 'baseUrl', 'apiKey', 'mps']) expect(error.message).toContain(`${field}:`);
  });
});

describe('campaigns', () => {
  it('creates a campaign with inline recipients, sends it, and reports status, errors and rejected rows', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: auth,
      payload: campaignBody([{ phone: phone(1), name: 'A' }, { phone: '447900000001', name: 'B' }, { phone: 'abc', name: 'C' }, { phone: phone(2) }, { phone: '551100000001', name: 'E' }]),
    });
    expect(res.statusCode).toBe(201);
    const { id, counts } = res.json() as { id: string; counts: Record<string, number> };
    expect(counts).toMatchObject({ total: 5, pending: 3, skipped: 2 });
    await f.waitForState(id, 'completed', 20_000);
    const status = (await app.inject({ method: 'GET', url: `/v1/campaigns/${id}`, headers: auth })).json() as Record<string, unknown>;
    expect(status).toMatchObject({ id, state: 'completed', counts: { sent: 2, sentLite: 1, sentCloud: 1, fallbacks: 1, failed: 1, skipped: 2 }, etaSeconds: 0 });
    expect(status.errorsByCode).toEqual([{ code: '131026', count: 1, class: 'recipient', meaning: 'message undeliverable to this number' }]);
    expect(status).toHaveProperty('funnel.lite.sent', 1);
    expect(status).toHaveProperty('funnel.fallback.sent', 1);
    expect(status).toHaveProperty('funnel.cloud.sent', 0);
    expect(status).toHaveProperty('comparison', null);

    const skipped = await app.inject({ method: 'GET', url: `/v1/campaigns/${id}/recipients?outcome=skipped`, headers: auth });
    const rows = skipped.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.line, r.code])).toEqual([
      [3, 'invalid_phone'],
      [4, 'missing_field'],
    ]);
  });

  it('refuses invalid options naming the field, bad JSON, and unknown ids; creates nothing', async () => {
    const before = (await app.inject({ method: 'GET', url: '/v1/campaigns', headers: auth })).json() as { total: number };
    const ttl = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: campaignBody([{ phone: phone(3), name: 'x' }], { ttlSeconds: 60, route: 'sideways' }) });
    expect(ttl.statusCode).toBe(400);
    expect(ttl.json()).toMatchObject({ error: { code: 'LITECAST_ERR_VALIDATION' } });
    expect((ttl.json() as { error: { message: string } }).error.message).toMatch(/ttlSeconds: .*route: /);
    const badJson = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"channelId": "main", ' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ error: { code: 'LITECAST_ERR_VALIDATION', message: expect.stringContaining('JSON') } });
    const wrongType = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(wrongType.statusCode).toBe(415);
    const unknownChannel = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: campaignBody([{ phone: phone(3), name: 'x' }], { channelId: 'ghost' }) });
    expect(unknownChannel.statusCode).toBe(404);
    const noRecipients = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: { channelId: 'main', template: { name: 't', language: 'en' } } });
    expect(noRecipients.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/campaigns/nope', headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/campaigns/nope/pause', headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/campaigns', headers: auth })).json()).toMatchObject({ total: before.total });
  });

  it('refuses a JSON body over the limit and an empty body', async () => {
    const huge = campaignBody(Array.from({ length: 30_000 }, (_, i) => ({ phone: phone(i), name: 'x'.repeat(30) })));
    const tooBig = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: huge });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json()).toMatchObject({ error: { code: 'LITECAST_ERR_PAYLOAD_TOO_LARGE' } });
    const empty = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...auth, 'content-type': 'application/json' }, payload: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ error: { code: 'LITECAST_ERR_VALIDATION' } });
  });

  it('takes a 50,000-row CSV upload, streamed, with the options in the query string', async () => {
    const csv = recipientsCsv(50_000, (i) => `4471${String(i).padStart(8, '0')}`) + '\nnot-a-phone,X\n447100000007,dup';
    const query = new URLSearchParams({ channelId: 'main', template: 'litecast_promo', language: 'en', components: JSON.stringify(PROMO_COMPONENTS), startAt: new Date(Date.now() + 3_600_000).toISOString() });
    const res = await fetch(`${apiUrl}/v1/campaigns?${query}`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; batches: number; counts: Record<string, number> };
    expect(body.counts).toMatchObject({ total: 50_002, pending: 50_000, skipped: 2 });
    expect(body.batches).toBeGreaterThanOrEqual(500);
    const rejected = await f.ctx.campaigns.rejected(body.id);
    expect(rejected.map((r) => [r.line, r.code])).toEqual([
      [50_002, 'invalid_phone'],
      [50_003, 'duplicate'],
    ]);
    // Scheduled an hour ahead: cancel it so the worker does not spend the test on it.
    expect((await app.inject({ method: 'POST', url: `/v1/campaigns/${body.id}/cancel`, headers: auth })).json()).toMatchObject({ state: 'cancelled' });
  });

  it('refuses an upload over the limit and leaves nothing half-created', async () => {
    const before = (await app.inject({ method: 'GET', url: '/v1/campaigns', headers: auth })).json() as { total: number };
    const big = recipientsCsv(200_000, (i) => `4472${String(i).padStart(8, '0')}`);
    const query = new URLSearchParams({ channelId: 'main', template: 'litecast_promo', language: 'en', components: JSON.stringify(PROMO_COMPONENTS), id: 'too-big' });
    const res = await fetch(`${apiUrl}/v1/campaigns?${query}`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'LITECAST_ERR_PAYLOAD_TOO_LARGE' } });
    expect((await app.inject({ method: 'GET', url: '/v1/campaigns', headers: auth })).json()).toMatchObject({ total: before.total });
    expect(await f.ctx.campaigns.get('too-big')).toBeUndefined();
    expect(await f.ctx.redis.exists(f.ctx.keys.campaignBatch('too-big', 0), f.ctx.keys.campaignRecipients('too-big'))).toBe(0);
  });

  it('refuses a 1 GB upload from its Content-Length at once, without reading it', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${apiUrl}/v1/campaigns?channelId=main&template=litecast_promo&language=en`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv', 'content-length': String(1024 ** 3) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('phone,name\n4470000000001,A\n');
    });
    // The client sent one line of a declared 1 GiB and never ends the body: any answer at all means
    // the server refused it from the Content-Length, without waiting for the bytes.
    expect(status).toBe(413);
  });

  it('pauses, resumes and exports as CSV with formula cells escaped; lists campaigns with paging', async () => {
    const created = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: campaignBody([{ phone: phone(10), name: '=HYPERLINK("x")' }, { phone: '=1+2', name: '@SUM' }]) });
    const { id } = created.json() as { id: string };
    await f.waitForState(id, 'completed', 20_000);
    const pause = await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/pause`, headers: auth });
    expect(pause.statusCode).toBe(409);
    expect(pause.json()).toMatchObject({ error: { code: 'LITECAST_ERR_INVALID_STATE', message: expect.stringContaining('completed') } });
    const csv = await app.inject({ method: 'GET', url: `/v1/campaigns/${id}/recipients?format=csv`, headers: auth });
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('phone,outcome,route,wamid,code,fellBack,fallbackCode,delivered,read,clicked,deliveryFailure,line,reason');
    expect(lines.find((l) => l.includes('skipped'))).toMatch(/^'=1\+2,skipped,/);
    const page = (await app.inject({ method: 'GET', url: '/v1/campaigns?limit=1', headers: auth })).json() as { campaigns: Array<{ id: string }>; total: number; limit: number };
    expect(page.campaigns).toHaveLength(1);
    expect(page.campaigns[0]?.id).toBe(id);
    expect(page.total).toBeGreaterThan(1);
    const bad = await app.inject({ method: 'GET', url: `/v1/campaigns/${id}/recipients?outcome=lost`, headers: auth });
    expect(bad.statusCode).toBe(400);
  });

  it('pause and resume through the API answer with the campaign', async () => {
    const created = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: campaignBody([{ phone: phone(30), name: 'x' }], { startAt: new Date(Date.now() + 3_600_000).toISOString() }) });
    const { id } = created.json() as { id: string };
    expect((await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/pause`, headers: auth })).json()).toMatchObject({ id, state: 'paused', reason: 'paused by user' });
    expect((await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/resume`, headers: auth })).json()).toMatchObject({ id, state: 'running' });
    expect((await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/cancel`, headers: auth })).json()).toMatchObject({ id, state: 'cancelled' });
  });

  it('retry sends again only to recipients whose error can succeed later', async () => {
    f.sandbox.setFaults([{ to: '4473*', effect: { type: 'http', status: 503 } }]);
    const created = await app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: auth,
      payload: campaignBody([{ phone: '447300000001', name: 'x' }, { phone: '447300000002', name: 'y' }, { phone: '447900000003', name: 'z' }, { phone: phone(20), name: 'w' }]),
    });
    const { id } = created.json() as { id: string };
    await f.waitForState(id, 'completed', 30_000);
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ sent: 1, failed: 3 });
    f.sandbox.setFaults([]);
    const retried = await app.inject({ method: 'POST', url: `/v1/campaigns/${id}/retry`, headers: auth });
    expect(retried.json()).toMatchObject({ requeued: 2, batches: 1 });
    await f.waitForState(id, 'completed', 30_000);
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ total: 4, sent: 3, failed: 1, pending: 0 });
    expect(f.sandbox.messages().filter((m) => m.to === phone(20))).toHaveLength(1);
    expect(await f.ctx.campaigns.errors(id)).toMatchObject({ '131026': 1, HTTP_503: 0 });
  });
});

describe('webhooks into the funnel', () => {
  const hookHeaders = (body: string, secret = WEBHOOK_SECRET) => ({ 'content-type': 'application/json', 'x-litecast-webhook-secret': secret, 'x-360dialog-signature': webhookSignature(body, SIGNING_SECRET) });

  it('refuses a missing or wrong secret, a forged signature and truncated JSON', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    expect((await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: { 'content-type': 'application/json' }, payload: body })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: hookHeaders(body, 'wrong'), payload: body })).statusCode).toBe(401);
    const forged = await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: { ...hookHeaders(body), 'x-360dialog-signature': 'deadbeef' }, payload: body });
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toMatchObject({ error: { code: 'LITECAST_ERR_WEBHOOK_REJECTED', message: expect.stringContaining('signature') } });
    const truncated = body.slice(0, 20);
    expect((await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: hookHeaders(truncated), payload: truncated })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: hookHeaders(body), payload: body })).statusCode).toBe(200);
  });

  it('sandbox webhooks (duplicated, out of order) reach the funnel counted once; clicks on lite only; late failures by code; an opt-out suppresses', async () => {
    f.sandbox.configure({
      webhook: {
        url: `${apiUrl}/webhooks/360dialog/main`,
        headers: { 'x-litecast-webhook-secret': WEBHOOK_SECRET },
        signingSecret: SIGNING_SECRET,
        readRate: 0.5,
        clickRate: 0.5,
        duplicateRate: 0.3,
        outOfOrderRate: 0.3,
      },
    });
    const recipients = Array.from({ length: 300 }, (_, i) => ({ phone: i % 10 === 0 ? `5511${String(i).padStart(8, '0')}` : i % 15 === 1 ? `4478${String(i).padStart(8, '0')}` : `4474${String(i).padStart(8, '0')}`, name: `N${i}` }));
    const created = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: campaignBody(recipients) });
    const { id } = created.json() as { id: string };
    await f.waitForState(id, 'completed', 30_000);
    await f.sandbox.flushWebhooks();

    const stats = () => f.sandbox.stats();
    await waitFor(() => stats().webhooksPending === 0, { what: 'sandbox webhooks delivered' });
    type Status = { counts: Record<string, number>; funnel: Record<string, { sent: number; delivered: number; read: number; clicked: number | null; failedByCode: Record<string, number> }> };
    const read = async () => (await app.inject({ method: 'GET', url: `/v1/campaigns/${id}`, headers: auth })).json() as Status;
    const late = recipients.filter((r) => r.phone.startsWith('4478')).length;
    const cloud = recipients.filter((r) => r.phone.startsWith('55')).length;
    // Every accepted message is delivered (or failed late, for 4478…), exactly once despite duplicates.
    await waitFor(async () => {
      const s = await read();
      return s.counts.delivered === 300 - late ? s : undefined;
    }, { what: 'all deliveries applied', timeoutMs: 30_000 });
    const status = await read();
    expect(status.counts.sent).toBe(300);
    expect(status.funnel.fallback).toMatchObject({ sent: cloud, delivered: cloud, clicked: null });
    expect(status.funnel.cloud).toMatchObject({ sent: 0, delivered: 0 });
    expect(status.funnel.lite?.sent).toBe(300 - cloud);
    expect(status.funnel.lite?.failedByCode).toEqual({ '131049': late });
    expect(status.funnel.lite?.delivered).toBe(300 - cloud - late);
    // Reads and clicks: as many as the sandbox sent distinct ones, never more (duplicates ignored).
    const accepted = f.sandbox.messages().filter((m) => m.bizOpaqueCallbackData?.startsWith(`lc1:${id}:`));
    expect(accepted).toHaveLength(300);
    expect(status.counts.read).toBeGreaterThan(0);
    expect(status.counts.read).toBeLessThanOrEqual(300 - late);
    // Clicks name no recipient: counted on the channel, attributed to the campaign as an estimate.
    await waitFor(async () => ((await read()).counts.clicked ?? 0) > 0, { what: 'clicks estimated for the campaign' });
    const withClicks = (await read()) as Status & { clicks: { estimated: number; channelClicks: number; method: string } };
    expect(withClicks.counts.clicked).toBe(withClicks.funnel.lite?.clicked);
    expect(withClicks.clicks.channelClicks).toBeGreaterThanOrEqual(withClicks.clicks.estimated);
    expect(withClicks.clicks.method).toContain('MM Lite clicks on the channel');
    const record = await f.ctx.redis.hgetall(f.ctx.keys.campaignEvents(id));
    expect(Object.values(record).filter((r) => (JSON.parse(r) as { r?: number }).r !== undefined)).toHaveLength(status.counts.read as number);

    // An opt-out: the next campaign skips that number.
    f.sandbox.emitUserPreference({ from: phone(99), value: 'stop' });
    await f.sandbox.flushWebhooks();
    await waitFor(async () => (await f.ctx.redis.sismember(f.ctx.keys.channelSuppressed('main'), phone(99))) === 1, { what: 'opt-out applied' });
    const next = (await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: campaignBody([{ phone: phone(99), name: 'x' }, { phone: phone(98), name: 'y' }]) })).json() as { id: string };
    await f.waitForState(next.id, 'completed', 20_000);
    expect(await f.ctx.campaigns.counts(next.id)).toMatchObject({ sent: 1, suppressed: 1 });
    // resume removes it again
    f.sandbox.emitUserPreference({ from: phone(99), value: 'resume' });
    await f.sandbox.flushWebhooks();
    await waitFor(async () => (await f.ctx.redis.sismember(f.ctx.keys.channelSuppressed('main'), phone(99))) === 0, { what: 'resume applied' });
  }, 90_000);

  it('a split campaign sends a stable holdout through the Cloud API with identical messages, and compares the groups', async () => {
    const recipients = Array.from({ length: 1_000 }, (_, i) => ({ phone: `4481${String(i).padStart(8, '0')}`, name: `N${i}` }));
    const created = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: campaignBody(recipients, { id: 'split-1', route: 'split', cloudShare: 20, activitySharing: true }) });
    expect(created.statusCode).toBe(201);
    await f.waitForState('split-1', 'completed', 30_000);
    await f.sandbox.flushWebhooks();
    type Report = { counts: Record<string, number>; comparison: { cloudShare: number; deliveredRate: { lite: number; cloud: number; ci95: [number, number] } } | null; funnel: Record<string, { sent: number; delivered: number }> };
    const report = await waitFor(async () => {
      const r = (await app.inject({ method: 'GET', url: '/v1/campaigns/split-1', headers: auth })).json() as Report;
      return r.counts.delivered === 1_000 ? r : undefined;
    }, { what: 'split deliveries applied', timeoutMs: 30_000 });
    // The share is within tolerance and every recipient is where the stable hash puts it.
    expect(report.counts.sentCloud).toBeGreaterThan(150);
    expect(report.counts.sentCloud).toBeLessThan(250);
    expect(report.counts.fallbacks).toBe(0);
    const { inCloudHoldout } = await import('../../src/shared/route-decision.ts');
    const ledger = await f.ledger('split-1');
    for (const { phone: p } of recipients) expect(ledger.get(p)).toMatchObject({ state: 'sent', route: inCloudHoldout('split-1', p, 20) ? 'cloud' : 'lite' });
    // Identical messages apart from the lite-only fields.
    const sent = f.sandbox.messages().filter((m) => m.bizOpaqueCallbackData?.startsWith('lc1:split-1:'));
    const strip = (payload: Record<string, unknown>) => {
      const { to: _to, biz_opaque_callback_data: _cb, message_send_ttl_seconds: _ttl, message_activity_sharing: _mas, product_policy: _pp, template, ...rest } = payload;
      const t = template as { components: Array<{ parameters: Array<{ text: string }> }> };
      return { ...rest, template: { ...t, components: t.components.map((c) => ({ ...c, parameters: c.parameters.map((p) => ({ ...p, text: 'N' })) })) } };
    };
    const lite = sent.find((m) => m.route === 'lite');
    const cloudMessage = sent.find((m) => m.route === 'cloud');
    expect(lite?.payload).toMatchObject({ message_send_ttl_seconds: 43_200, message_activity_sharing: true });
    expect(cloudMessage?.payload).not.toHaveProperty('message_send_ttl_seconds');
    expect(strip(cloudMessage?.payload as Record<string, unknown>)).toEqual(strip(lite?.payload as Record<string, unknown>));
    // The comparison: both groups delivered everything here, so the difference is 0 and not significant.
    expect(report.comparison).toMatchObject({ cloudShare: 20, deliveredRate: { lite: 1, cloud: 1, difference: 0, significant: false } });
    expect(report.funnel.cloud?.sent).toBe(report.counts.sentCloud);
    expect(report.funnel.lite?.sent).toBe(report.counts.sentLite);
  }, 60_000);

  it('keeps and counts events that match no campaign', async () => {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: { statuses: [{ id: 'wamid.unknown-1', status: 'delivered', timestamp: '1700000000', recipient_id: '4400000000' }] } }] }],
    });
    const res = await app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: hookHeaders(body), payload: body });
    expect(res.statusCode).toBe(200);
    await waitFor(async () => Number(await f.ctx.redis.hget(f.ctx.keys.webhookStats, 'unmatched:no-campaign')) >= 1, { what: 'unmatched counted' });
    // Real click events (no recipient) from earlier campaigns are kept unmatched too, so look past them.
    const kept = await waitFor(async () => (await f.ctx.redis.lrange(f.ctx.keys.webhookUnmatched, 0, 99)).find((entry) => entry.includes('wamid.unknown-1')), { what: 'unmatched kept' });
    expect(kept).toContain('wamid.unknown-1');
  });

  it('exposes Prometheus metrics for sends, errors, fallbacks, latency, queue depth and webhooks', async () => {
    await waitFor(async () => (await app.inject({ method: 'GET', url: '/metrics', headers: auth })).body.includes('litecast_messages_total{'), { what: 'worker metrics published', timeoutMs: 10_000 });
    const text = (await app.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    expect(text).toMatch(/litecast_messages_total\{channel="main",route="lite",outcome="sent"\} \d+/);
    expect(text).toMatch(/litecast_send_errors_total\{code="131026",class="recipient"\} \d+/);
    expect(text).toMatch(/litecast_fallbacks_total\{channel="main",code="131009"\} \d+/);
    expect(text).toContain('litecast_request_duration_seconds_bucket');
    expect(text).toContain('litecast_limiter_wait_seconds_bucket');
    expect(text).toMatch(/litecast_queue_depth\{queue="send",state="waiting"\} \d+/);
    expect(text).toMatch(/litecast_webhook_events_total\{type="status:delivered",stage="received"\} \d+/);
    expect(text).toContain('litecast_webhook_processing_lag_seconds_bucket');
  });
});
