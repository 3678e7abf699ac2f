/**
 * Campaign timing against real Redis and BullMQ: intake groups recipients by zone and delays each
 * zone's batches to its window opening (on an injected clock), refuses a window that never opens,
 * warns about a deadline at risk; the frequency cap script; the cap across two campaigns end to
 * end through the sandbox; priorities between two campaigns on one queue, with aging.
 */
import { Readable } from 'node:stream';
import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createCampaign, type CampaignOptions } from '../../src/producer/create-campaign.ts';
import { exportRecipients } from '../../src/producer/export-recipients.ts';
import { readRecipients } from '../../src/producer/read-recipients.ts';
import { campaignStatus } from '../../src/shared/campaign-status.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { createKeys } from '../../src/shared/keys.ts';
import { createRedis } from '../../src/shared/redis.ts';
import { batchJobId, enqueueBatches, type BatchJobData } from '../../src/shared/send-queue.ts';
import { createFrequencyCapStore } from '../../src/worker/frequency-cap-store.ts';
import { parseFrequencyCap } from '../../src/shared/frequency-cap.ts';
import { createPriorityAging } from '../../src/worker/priority-aging.ts';
import { createPipelineFixture, partitionSum, PROMO_COMPONENTS, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { REDIS_URL, childEnv, dropNamespace, testConfig } from '../support/test-env.ts';
import { runCli } from '../support/run-cli-in-process.ts';
import { buildApi } from '../../src/api/build-api.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createEventsStream } from '../../src/webhooks/events-stream.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait-for.ts';

let fixture: PipelineFixture | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await fixture?.close();
  fixture = undefined;
});

const NOON_UTC = Date.parse('2026-12-01T12:00:00Z');
const de = (i: number) => `49151${String(i).padStart(8, '0')}`;

/** Creates a campaign on the fixture's context with an injected clock. */
async function create(f: PipelineFixture, csv: string, options: Partial<CampaignOptions>, now: number) {
  return createCampaign(
    { ...f.ctx, now: () => now },
    { channelId: f.channelId, template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS }, ttlSeconds: 43_200, ...options },
    readRecipients(Readable.from([csv]), 'csv'),
  );
}

describe('send windows at intake', () => {
  it('groups recipients by zone, delays each zone to its opening, checks numbers and zones, and reports who waits', async () => {
    fixture = await createPipelineFixture({ mps: 80 });
    const f = fixture;
    const csv = [
      'phone,name,timezone',
      `+${de(1)},Berlin,`, // zone from the country: Europe/Berlin, open at 13:00
      `+${de(2)},Berlin,`,
      '+16505551234,Ny,', // US: America/New_York, 07:00 → opens 14:00 UTC
      `+${de(3)},Tokyo,Asia/Tokyo`, // the column wins: 21:00 → opens 00:00 UTC
      `+${de(4)},Bad,Berlin`, // not an IANA zone
      '+4420000000,Short,', // cannot exist in the UK
    ].join('\n');
    const summary = await create(f, csv, { sendWindow: '09:00-20:00', batchSize: 10, ttlSeconds: 86_400 }, NOON_UTC);
    expect(summary.counts).toMatchObject({ total: 6, pending: 4, skipped: 2 });
    const rejected = await f.ctx.campaigns.rejected(summary.id);
    expect(rejected).toEqual([
      expect.objectContaining({ line: 6, code: 'invalid_timezone', reason: expect.stringMatching(/"Berlin" is not an IANA time zone/) as string }),
      expect.objectContaining({ line: 7, code: 'invalid_phone', reason: expect.stringMatching(/cannot exist in country code \+44/) as string }),
    ]);
    const byZone = new Map<string, number>();
    for (let i = 0; i < summary.batches; i++) byZone.set((await f.ctx.campaigns.batchZone(summary.id, i)) ?? '', i);
    expect([...byZone.keys()].sort()).toEqual(['America/New_York', 'Asia/Tokyo', 'Europe/Berlin']);
    const delayOf = async (zone: string) => (await f.ctx.queue.getJob(batchJobId(summary.id, byZone.get(zone) as number)))?.opts.delay ?? 0;
    expect(await delayOf('Europe/Berlin')).toBe(0);
    expect(await delayOf('America/New_York')).toBe(2 * 3_600_000);
    expect(await delayOf('Asia/Tokyo')).toBe(12 * 3_600_000);
    expect((await f.ctx.queue.getJob(batchJobId(summary.id, byZone.get('Europe/Berlin') as number)))?.opts.priority).toBe(2);

    const status = await campaignStatus(f.ctx.campaigns, summary.id, NOON_UTC);
    expect(status).toMatchObject({ sendWindow: '09:00-20:00', waitingForWindow: 2, projectedExpiries: 0 });
    // Nothing can go to Tokyo before its window opens at midnight UTC: the ETA waits for it.
    expect(status.etaSeconds).toBeGreaterThanOrEqual(12 * 3_600);
  });

  it('refuses a window that never opens before the deadline, naming the field, and leaves nothing behind', async () => {
    fixture = await createPipelineFixture({ mps: 80 });
    const f = fixture;
    const csv = ['phone,name,timezone', `+${de(1)},A,Europe/Berlin`, `+${de(2)},B,Asia/Tokyo`].join('\n');
    // From 06:00 UTC with 12 h: Berlin's 09:00 (08:00 UTC) comes, Tokyo's (00:00 UTC) is after the deadline.
    await expect(create(f, csv, { id: 'never', sendWindow: '09:00-10:00' }, Date.parse('2026-12-01T06:00:00Z'))).rejects.toMatchObject({
      code: 'LITECAST_ERR_VALIDATION',
      message: expect.stringMatching(/^Invalid campaign: sendWindow: 09:00-10:00 never opens before the deadline .* in Asia\/Tokyo \(1 recipient\)/) as string,
    });
    expect(await f.ctx.campaigns.get('never')).toBeUndefined();
    expect(await f.ctx.queue.getJobCounts('delayed', 'prioritized', 'wait')).toEqual({ delayed: 0, prioritized: 0, wait: 0 });
  });

  it('warns DEADLINE_AT_RISK with how many would expire, counting what is queued ahead on the channel', async () => {
    fixture = await createPipelineFixture({ mps: 1 });
    const f = fixture;
    const nineUtc = Date.parse('2026-12-01T09:00:00Z');
    const rows = (from: number, n: number) => ['phone,name,timezone', ...Array.from({ length: n }, (_, i) => `${de(from + i)},N,UTC`)].join('\n');
    const first = await create(f, rows(0, 500), {}, nineUtc);
    expect(first.warnings).toBeUndefined();
    // At 1 msg/s the 500 ahead take until 09:08:20; a 09:00-09:10 window then holds 100 more.
    const second = await create(f, rows(1_000, 200), { sendWindow: '09:00-09:10' }, nineUtc);
    expect(second.warnings).toEqual([
      expect.objectContaining({ code: 'DEADLINE_AT_RISK', recipients: 100, mps: 1, queuedAhead: 500, deadline: '2026-12-01T21:00:00.000Z', message: expect.stringMatching(/About 100 recipients would expire/) as string }),
    ]);
    const status = await campaignStatus(f.ctx.campaigns, second.id, nineUtc);
    expect(status.projectedExpiries).toBe(0); // alone on the channel it would make it: 200 s of 600
    expect((await campaignStatus(f.ctx.campaigns, second.id, Date.parse('2026-12-01T09:08:00Z'))).projectedExpiries).toBe(80);
  });
});

describe('send windows in the worker', () => {
  it('re-delays a batch reached while its window is closed to the next opening, sending nothing', async () => {
    fixture = await createPipelineFixture({ mps: 80 });
    const f = fixture;
    // A UTC window that opens in two hours (real clock: the worker reads it).
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const opensAt = Math.ceil((Date.now() + 2 * 3_600_000) / 60_000) * 60_000;
    const window = `${hhmm(opensAt)}-${hhmm(opensAt + 3_600_000)}`;
    const id = await f.createCampaign(['phone,name,timezone', `${de(1)},A,UTC`].join('\n'), { sendWindow: window });
    // The batch turns up now anyway (as after a resume): the worker must put it back, not send.
    await enqueueBatches(f.ctx.queue, id, [0], { generation: 1 });
    await f.startInProcessWorker();
    const job = await waitFor(async () => {
      const j = await f.ctx.queue.getJob(batchJobId(id, 0, 1));
      return j && (await j.isDelayed()) && j.attemptsMade === 0 && j.processedOn ? j : undefined;
    }, { what: 'the batch delayed again' });
    expect(job.timestamp + job.delay).toBeGreaterThanOrEqual(opensAt - 1_000);
    expect(job.timestamp + job.delay).toBeLessThanOrEqual(opensAt + 1_000);
    expect(f.sandbox.stats().accepted).toBe(0);
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ pending: 1 });
  });
});

describe('frequency cap', () => {
  it('the cap script counts each campaign once per recipient, refuses past the cap, and forgets sends older than the period', async () => {
    const { namespace } = testConfig();
    const redis = createRedis(REDIS_URL);
    cleanups.push(async () => {
      redis.disconnect();
      await dropNamespace(namespace);
    });
    let now = NOON_UTC;
    const cap = createFrequencyCapStore(redis, createKeys(namespace), 'ch', parseFrequencyCap('2/7d'), () => now);
    expect(await cap.take('4915100000001', 'a')).toBe(true);
    expect(await cap.take('4915100000001', 'b')).toBe(true);
    expect(await cap.take('4915100000001', 'a')).toBe(true); // the same campaign again: not a new send
    expect(await cap.take('4915100000001', 'c')).toBe(false);
    expect(await cap.take('4915100000002', 'c')).toBe(true); // another recipient has its own log
    await cap.giveBack('4915100000001', 'b');
    expect(await cap.take('4915100000001', 'c')).toBe(true);
    expect(await cap.take('4915100000001', 'd')).toBe(false);
    now += 7 * 86_400_000 + 1;
    expect(await cap.take('4915100000001', 'd')).toBe(true);
    expect(await redis.pttl(createKeys(namespace).channelCapLog('ch', '4915100000001'))).toBeGreaterThan(0);
  });

  it('caps a recipient across two campaigns: the second ends `capped`, counted, exported and adding up', async () => {
    fixture = await createPipelineFixture({ mps: 200 });
    const f = fixture;
    await f.ctx.channels.update(f.channelId, { frequencyCap: '1/7d' });
    await f.startInProcessWorker();
    const a = await f.createCampaign(['phone,name', `${de(1)},A`, `${de(2)},B`].join('\n'));
    await f.waitForState(a, 'completed');
    const b = await f.createCampaign(['phone,name', `${de(1)},A`, `${de(3)},C`].join('\n'));
    await f.waitForState(b, 'completed');
    const counts = await f.ctx.campaigns.counts(b);
    expect(counts).toMatchObject({ total: 2, sent: 1, capped: 1, pending: 0 });
    expect(partitionSum(counts)).toBe(counts.total);
    const capped = [];
    for await (const row of exportRecipients(f.ctx.redis, f.ctx.keys, f.ctx.campaigns, b, 'capped')) capped.push(row);
    expect(capped).toEqual([{ phone: de(1), outcome: 'capped' }]);
    expect(f.sandbox.stats().accepted).toBe(3);
  });
});

describe('priorities between campaigns', () => {
  async function queueHarness() {
    const config = testConfig();
    const keys = createKeys(config.namespace);
    const connection = createRedis(REDIS_URL, 'blocking');
    const queue = new Queue<BatchJobData>(keys.sendQueue, { connection, prefix: keys.queuePrefix });
    const order: string[] = [];
    const start = () => {
      const worker = new Worker<BatchJobData>(keys.sendQueue, async (job) => void order.push(`${job.data.campaignId}:${job.data.batchIndex}`), {
        connection: createRedis(REDIS_URL, 'blocking'),
        prefix: keys.queuePrefix,
        concurrency: 1,
      });
      cleanups.push(() => worker.close());
      return worker;
    };
    cleanups.push(async () => {
      await queue.close();
      connection.disconnect();
      await dropNamespace(config.namespace);
    });
    return { queue, order, start };
  }

  it('runs a high-priority campaign\'s batches before a low one queued earlier on the same queue', async () => {
    const { queue, order, start } = await queueHarness();
    await enqueueBatches(queue, 'newsletter', [0, 1, 2], { priority: 'low' });
    await enqueueBatches(queue, 'flash', [0, 1, 2], { priority: 'high' });
    await enqueueBatches(queue, 'plain', [0]);
    start();
    await waitFor(() => order.length === 7, { what: 'all batches run' });
    expect(order).toEqual(['flash:0', 'flash:1', 'flash:2', 'plain:0', 'newsletter:0', 'newsletter:1', 'newsletter:2']);
  });

  it('ages a low campaign\'s waiting batches up so later high-priority batches do not starve it', async () => {
    const { queue, order, start } = await queueHarness();
    let now = NOON_UTC;
    const aging = createPriorityAging({ queue, logger: createLogger({ level: 'silent' }), agingMs: 600_000, intervalMs: 60_000, now: () => now });
    await enqueueBatches(queue, 'newsletter', [0, 1], { priority: 'low' });
    expect(await aging.sweep()).toBe(0); // first sighting
    now += 10 * 60_000;
    expect(await aging.sweep()).toBe(2); // one step: low → normal
    expect((await queue.getJob(batchJobId('newsletter', 0)))?.priority).toBe(2);
    now += 10 * 60_000;
    expect(await aging.sweep()).toBe(2); // two steps: level with high
    expect(await aging.sweep()).toBe(0); // and no further
    await enqueueBatches(queue, 'flash', [0, 1], { priority: 'high' });
    start();
    await waitFor(() => order.length === 4, { what: 'all batches run' });
    expect(order).toEqual(['newsletter:0', 'newsletter:1', 'flash:0', 'flash:1']);
    await aging.close();
  });
});

describe('the CLI', () => {
  it('sets a frequency cap, and `campaign create --json` carries DEADLINE_AT_RISK (a plain sentence without --json)', async () => {
    fixture = await createPipelineFixture({ mps: 1 });
    const f = fixture;
    const env = childEnv(f.config, { LOG_LEVEL: 'warn' });
    const dir = await mkdtemp(join(tmpdir(), 'litecast-timing-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const updated = await runCli(['channel', 'update', f.channelId, '--frequency-cap', '2/7d', '--json'], env);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ id: f.channelId, frequencyCap: '2/7d' });
    expect((await runCli(['channel', 'update', f.channelId, '--frequency-cap', 'twice'], env)).stderr).toMatch(/frequencyCap: must be <count>\/<period> such as 2\/7d/);

    // A one-minute UTC window an hour from now holds 60 sends at 1 msg/s: 40 of 100 would expire.
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const opens = Math.ceil((Date.now() + 3_600_000) / 60_000) * 60_000;
    await writeFile(join(dir, 'r.csv'), ['phone,name,timezone', ...Array.from({ length: 100 }, (_, i) => `${de(i)},N,UTC`)].join('\n'));
    await writeFile(join(dir, 'c.json'), JSON.stringify(PROMO_COMPONENTS));
    const args = ['campaign', 'create', '--channel', f.channelId, '--template', 'litecast_promo', '--language', 'en', '--recipients', join(dir, 'r.csv'), '--components', join(dir, 'c.json'), '--ttl', '43200', '--send-window', `${hhmm(opens)}-${hhmm(opens + 60_000)}`, '--priority', 'low'];
    const json = await runCli([...args, '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ accepted: 100, warnings: [{ code: 'DEADLINE_AT_RISK', recipients: 40, mps: 1 }] });
    const plain = await runCli(args, env);
    expect(plain.stderr).toMatch(/warning: About 40 recipients would expire/);
    expect((await runCli([...args, '--priority', 'urgent'], env)).stderr).toMatch(/--priority: must be high, normal or low/);
  });
});

describe('the API', () => {
  it('PATCHes a channel\'s frequency cap; a CSV upload takes sendWindow and priority and answers with warnings', async () => {
    const TOKEN = 'timing-api-token-0123456789';
    fixture = await createPipelineFixture({ mps: 1, env: { LITECAST_API_TOKEN: TOKEN } });
    const f = fixture;
    const events = createEventsStream(f.ctx.redis, f.ctx.keys);
    const app = await buildApi({ ctx: f.ctx, events, metrics: createMetrics() });
    cleanups.push(async () => {
      await app.close();
      await events.close();
    });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const patched = await app.inject({ method: 'PATCH', url: `/v1/channels/${f.channelId}`, headers: auth, payload: { frequencyCap: '3/1d' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ id: f.channelId, frequencyCap: '3/1d' });
    const bad = await app.inject({ method: 'PATCH', url: `/v1/channels/${f.channelId}`, headers: auth, payload: { frequencyCap: '3 a day' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/frequencyCap: must be <count>\/<period>/);
    expect((await app.inject({ method: 'PATCH', url: `/v1/channels/${f.channelId}`, headers: auth, payload: { frequencyCap: null } })).json()).not.toHaveProperty('frequencyCap');

    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const opens = Math.ceil((Date.now() + 3_600_000) / 60_000) * 60_000;
    const csv = ['phone,name,timezone', ...Array.from({ length: 100 }, (_, i) => `${de(i)},N,UTC`)].join('\n');
    const query = new URLSearchParams({ channelId: f.channelId, template: 'litecast_promo', language: 'en', components: JSON.stringify(PROMO_COMPONENTS), ttlSeconds: '43200', sendWindow: `${hhmm(opens)}-${hhmm(opens + 60_000)}`, priority: 'high' });
    const created = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...auth, 'content-type': 'text/csv' }, payload: csv });
    expect(created.statusCode).toBe(201);
    const body = created.json<{ id: string; warnings: unknown[] }>();
    expect(body.warnings).toEqual([expect.objectContaining({ code: 'DEADLINE_AT_RISK', recipients: 40 })]);
    const status = (await app.inject({ method: 'GET', url: `/v1/campaigns/${body.id}`, headers: auth })).json<Record<string, unknown>>();
    expect(status).toMatchObject({ sendWindow: `${hhmm(opens)}-${hhmm(opens + 60_000)}`, priority: 'high', waitingForWindow: 100, projectedExpiries: 40 });
    const refused = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: auth, payload: { channelId: f.channelId, template: { name: 'litecast_promo', language: 'en' }, sendWindow: '9-17', recipients: [{ phone: de(1) }] } });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/sendWindow: must be HH:MM-HH:MM/);
  });
});
