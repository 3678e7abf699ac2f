/**
 * Issue 17, faults: Redis down under the API (a second redis-server, started and stopped here),
 * an upload cut off mid-file, a stalled upload, and the sweep of intakes that died. Real Redis,
 * real HTTP. Each case is recorded for RELIABILITY.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.ts';
import { sweepAbandonedIntakes, markIntakeAlive } from '../../src/producer/intake-liveness.ts';
import { createAppContext } from '../../src/shared/app-context.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createEventsStream } from '../../src/webhooks/events-stream.ts';
import { createPipelineFixture, PROMO_COMPONENTS, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { recordHostile } from '../support/record-hostile.ts';
import { testConfig } from '../support/test-env.ts';
import { waitFor } from '../support/wait-for.ts';

const TOKEN = 'test-api-token-0123456789';
const WEBHOOK_SECRET = 'hook-secret-123';
const auth = { authorization: `Bearer ${TOKEN}` };
const phone = (i: number) => `4470${String(i).padStart(8, '0')}`;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** A throwaway redis-server that keeps nothing on disk. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor(async () => {
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }, { what: `redis-server on ${port}` });
  return child;
}
const stopRedis = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe('item 1: Redis down under the API', () => {
  let redisPort: number;
  let redis: ChildProcess;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
  });
  afterAll(async () => {
    await stopRedis(redis);
  });

  it('answers 503 at once, for campaigns and webhooks, and nothing takes effect once Redis is back', async () => {
    const config = testConfig({ REDIS_URL: `redis://127.0.0.1:${redisPort}`, LITECAST_API_TOKEN: TOKEN, LITECAST_WEBHOOK_SECRET: WEBHOOK_SECRET });
    const ctx = await createAppContext(config, createLogger({ level: 'silent' }), { failFast: true });
    const eventsQueue = createEventsStream(ctx.redis, ctx.keys);
    const app = await buildApi({ ctx, events: eventsQueue, metrics: createMetrics() });
    try {
      await ctx.channels.add({ id: 'main', baseUrl: 'http://127.0.0.1:9', apiKey: 'k' });
      await stopRedis(redis);
      await waitFor(() => ctx.redis.status !== 'ready', { what: 'the API to see Redis gone' });

      const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
      const started = Date.now();
      const created = await within(
        app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: { channelId: 'main', template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS }, recipients: [{ phone: phone(1), name: 'A' }] } }),
        3_000,
      );
      expect(created.statusCode).toBe(503);
      expect(created.json()).toMatchObject({ error: { code: 'LITECAST_ERR_REDIS_UNREACHABLE' } });
      const payload = JSON.stringify({ entry: [] });
      const hook = await within(app.inject({ method: 'POST', url: '/webhooks/360dialog', headers: { 'x-litecast-webhook-secret': WEBHOOK_SECRET, 'content-type': 'application/json' }, payload }), 3_000);
      expect(hook.statusCode).toBe(503);
      expect(hook.json()).toMatchObject({ error: { code: 'LITECAST_ERR_REDIS_UNREACHABLE' } });
      const listed = await within(app.inject({ method: 'GET', url: '/v1/campaigns', headers: auth }), 3_000);
      expect(listed.statusCode).toBe(503);
      const elapsed = Date.now() - started;

      // Redis comes back (empty, as a restarted Redis without persistence): nothing queued replays into it.
      redis = await startRedis(redisPort);
      await waitFor(() => ctx.redis.status === 'ready', { what: 'the API to reconnect' });
      const probe = new Redis({ port: redisPort });
      try {
        // Give a queued command every chance to replay before looking.
        await probe.ping();
        await ctx.redis.ping();
        expect(await probe.keys(`${config.namespace}:*`)).toEqual([]);
      } finally {
        probe.disconnect();
      }
      await recordHostile({ table: 'fault', where: 'API', input: 'Redis down: POST /v1/campaigns, a webhook, GET /v1/campaigns', result: `503 \`LITECAST_ERR_REDIS_UNREACHABLE\` for all three within ${elapsed} ms; nothing written once Redis was back` });
    } finally {
      await app.close();
      await eventsQueue.close().catch(() => undefined);
      await ctx.close();
    }
  });
});

describe('item 2: aborted and stalled uploads, and the sweep', () => {
  let f: PipelineFixture;
  let app: FastifyInstance;
  let port: number;
  let eventsQueue: ReturnType<typeof createEventsStream>;

  beforeAll(async () => {
    f = await createPipelineFixture({ mps: 500, env: { LITECAST_API_TOKEN: TOKEN, LITECAST_INTAKE_IDLE_TIMEOUT_MS: '1500' } });
    eventsQueue = createEventsStream(f.ctx.redis, f.ctx.keys);
    app = await buildApi({ ctx: f.ctx, events: eventsQueue, metrics: createMetrics() });
    port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
  });
  afterAll(async () => {
    await app.close();
    await eventsQueue.close();
    await f.close();
  });

  /** Starts a CSV upload of `rows` recipients (declaring more bytes than it sends) and returns the socket. */
  const startUpload = (id: string, rows: number) => {
    const query = new URLSearchParams({ id, channelId: 'main', template: 'litecast_promo', language: 'en', components: JSON.stringify(PROMO_COMPONENTS), batchSize: '10' });
    const csv = `phone,name\n${Array.from({ length: rows }, (_, i) => `${phone(i)},x`).join('\n')}\n`;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', () => undefined);
    socket.write(`POST /v1/campaigns?${query} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: text/csv\r\ncontent-length: ${csv.length + 100_000}\r\n\r\n${csv}`);
    return { socket, answer: () => answer };
  };
  const campaignKeys = async (id: string) => (await f.ctx.redis.keys(`${f.ctx.keys.namespace}:{c:${id}}*`)).length;

  it('a client that closes the connection mid-CSV leaves nothing behind', async () => {
    // More rows than two chunks of intake (phone-checker.ts), so batches are stored before the end.
    const { socket } = startUpload('aborted1', 2_500);
    await waitFor(async () => (await f.ctx.campaigns.get('aborted1')) !== undefined && (await f.ctx.redis.exists(f.ctx.keys.campaignBatch('aborted1', 0))) === 1, { what: 'intake to store batches' });
    socket.destroy();
    await waitFor(async () => (await campaignKeys('aborted1')) === 0, { what: 'the aborted campaign to be removed', timeoutMs: 5_000 });
    expect(await f.ctx.redis.zscore(f.ctx.keys.campaigns, 'aborted1')).toBeNull();
    await recordHostile({ table: 'fault', where: 'API', input: 'client closes the connection in the middle of a CSV upload', result: 'the half-read campaign and its batches removed at once; nothing enqueued' });
  });

  it('a stalled upload times out with a 408 and leaves nothing behind', async () => {
    const upload = startUpload('stalled1', 30);
    await waitFor(() => upload.answer().includes('\r\n\r\n'), { what: 'the timeout answer', timeoutMs: 8_000 });
    expect(upload.answer()).toMatch(/^HTTP\/1\.1 408/);
    expect(upload.answer()).toContain('LITECAST_ERR_REQUEST_TIMEOUT');
    upload.socket.destroy();
    await waitFor(async () => (await campaignKeys('stalled1')) === 0, { what: 'the stalled campaign to be removed', timeoutMs: 5_000 });
    await recordHostile({ table: 'fault', where: 'API', input: 'an upload that stops sending mid-file', result: '408 `LITECAST_ERR_REQUEST_TIMEOUT` after `LITECAST_INTAKE_IDLE_TIMEOUT_MS` (60 s by default); nothing left behind' });
  });

  it('the start-up sweep removes campaigns whose intake died, and only those', async () => {
    const spec = (id: string) => ({ id, channelId: 'main', template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS }, route: 'lite' as const, startAt: Date.now(), batchSize: 10, createdAt: Date.now() });
    await f.ctx.campaigns.create(spec('dead1'));
    await f.ctx.campaigns.storeBatch('dead1', 0, [{ p: phone(1), l: 2, f: { name: 'x' } }], []);
    await f.ctx.campaigns.storeBatch('dead1', 1, [{ p: phone(2), l: 3, f: { name: 'x' } }], []);
    await f.ctx.campaigns.create(spec('live1'));
    const stop = await markIntakeAlive(f.ctx.redis, f.ctx.keys, 'live1');
    const done = await f.createCampaign(`phone,name\n${phone(3)},x\n`, { startAt: Date.now() + 3_600_000 });
    const removed = await sweepAbandonedIntakes(f.ctx);
    expect(removed).toEqual(['dead1']);
    expect(await campaignKeys('dead1')).toBe(0);
    expect(await f.ctx.campaigns.get('live1')).toBeDefined();
    expect(await f.ctx.campaigns.get(done)).toBeDefined();
    await stop();
    await recordHostile({ table: 'fault', where: 'API start', input: 'a campaign left `scheduled` with intake unfinished by a killed API', result: 'removed by the sweep at API start (unless its intake is still alive elsewhere)' });
  });
});
