/**
 * Pause, resume, cancel, deadlines, shared throttles, idempotent enqueueing and intake checks,
 * against real Redis and the sandbox.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelCampaign, pauseCampaign, resumeCampaign } from '../../src/producer/campaign-actions.ts';
import { createCampaign } from '../../src/producer/create-campaign.ts';
import { readRecipients } from '../../src/producer/read-recipients.ts';
import { enqueueBatches } from '../../src/shared/send-queue.ts';
import { createSandbox } from '../../src/sandbox/index.ts';
import { createPipelineFixture, partitionSum, PROMO_COMPONENTS, recipientsCsv, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { waitFor } from '../support/wait-for.ts';

let fixture: PipelineFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const phone = (i: number) => `4470${String(i).padStart(8, '0')}`;
/** Keeps an injected fault (an outage) in place for its stated duration. */
const holdFault = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('campaign control', () => {
  it('pause stops sends, also mid-batch; resume continues without re-sending', async () => {
    fixture = await createPipelineFixture({ mps: 200 });
    const f = fixture;
    const id = await f.createCampaign(recipientsCsv(1_000, phone), { batchSize: 500 });
    await f.startInProcessWorker();
    await waitFor(() => f.sandbox.stats().accepted >= 150, { what: '150 accepted' });
    await pauseCampaign(f.ctx, id);
    // Sends stop: the running batch parks mid-way; the other parks, when taken, without sending.
    await f.waitForBatchesStopped();
    const stoppedAt = f.sandbox.stats().accepted;
    expect(stoppedAt).toBeLessThan(1_000);
    const counts = await f.ctx.campaigns.counts(id);
    expect(counts.pending).toBe(1_000 - stoppedAt);
    expect(counts.sent).toBe(stoppedAt);
    expect((await f.ctx.campaigns.get(id))?.state).toBe('paused');

    await resumeCampaign(f.ctx, id);
    await f.waitForState(id, 'completed', 30_000);
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ total: 1_000, sent: 1_000, pending: 0 });
    expect(f.sandbox.messages()).toHaveLength(1_000);
    expect(f.sandbox.stats().duplicates).toBe(0);
  }, 60_000);

  it('cancel ends every pending recipient as cancelled, mid-batch and in parked batches', async () => {
    fixture = await createPipelineFixture({ mps: 150 });
    const f = fixture;
    const id = await f.createCampaign(recipientsCsv(800, phone), { batchSize: 200 });
    await f.startInProcessWorker();
    await waitFor(() => f.sandbox.stats().accepted >= 100, { what: '100 accepted' });
    await pauseCampaign(f.ctx, id);
    // The running batch parks mid-way, the rest wait in the queue: cancel must end both kinds.
    await f.waitForBatchesStopped();
    await cancelCampaign(f.ctx, id);
    await waitFor(async () => (await f.ctx.campaigns.counts(id)).pending === 0, { what: 'nothing pending' });
    const counts = await f.ctx.campaigns.counts(id);
    const sent = f.sandbox.messages().length;
    expect(counts).toMatchObject({ total: 800, sent, cancelled: 800 - sent, pending: 0 });
    expect(partitionSum(counts)).toBe(800);
    const campaign = await f.ctx.campaigns.get(id);
    expect(campaign?.state).toBe('cancelled');
    expect(campaign?.finishedAt).toBeGreaterThan(0);
    // No batch is running, and one taken from now on closes out without sending.
    await f.waitForBatchesStopped();
    expect(f.sandbox.messages()).toHaveLength(sent);
  }, 60_000);

  it('nothing is posted after start + TTL: late recipients become expired', async () => {
    fixture = await createPipelineFixture({ mps: 100 });
    const f = fixture;
    const id = await f.createCampaign(recipientsCsv(300, phone), { batchSize: 50, ttlSeconds: 43_200 });
    await pauseCampaign(f.ctx, id);
    // Simulate the campaign having started 12 hours and a second ago (a pause that outlived the TTL).
    await f.ctx.redis.hset(f.ctx.keys.campaignMeta(id), 'startAt', String(Date.now() - 43_201_000));
    await resumeCampaign(f.ctx, id);
    await f.startInProcessWorker();
    await f.waitForState(id, 'completed', 20_000);
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ total: 300, expired: 300, sent: 0, pending: 0 });
    expect(f.sandbox.stats().requests).toBe(0);
  }, 30_000);

  it('a campaign whose TTL runs out while it is paused mid-way expires the rest on resume', async () => {
    fixture = await createPipelineFixture({ mps: 50 });
    const f = fixture;
    const id = await f.createCampaign(recipientsCsv(200, phone), { batchSize: 200, ttlSeconds: 43_200 });
    await f.startInProcessWorker();
    await waitFor(() => f.sandbox.stats().accepted >= 20, { what: '20 accepted' });
    // The deadline moves to "now" while the batch is being sent.
    await f.ctx.redis.hset(f.ctx.keys.campaignMeta(id), 'startAt', String(Date.now() - 43_200_000));
    // The running batch read the campaign at its start; a new batch run picks up the change.
    await pauseCampaign(f.ctx, id);
    await resumeCampaign(f.ctx, id);
    await f.waitForState(id, 'completed', 30_000);
    const counts = await f.ctx.campaigns.counts(id);
    expect(counts.expired).toBeGreaterThan(0);
    expect(counts.sent + counts.expired).toBe(200);
    expect(f.sandbox.messages()).toHaveLength(counts.sent);
  }, 40_000);

  it('a throttle answer stops the channel for every worker for the wait it names', async () => {
    fixture = await createPipelineFixture({ mps: 300, env: { LITECAST_RATE_MARGIN: '0.95' } });
    const f = fixture;
    const id = await f.createCampaign(recipientsCsv(1_500, phone));
    await Promise.all([f.startWorkerProcess(), f.startWorkerProcess()]);
    await waitFor(() => f.sandbox.stats().accepted >= 300, { what: '300 accepted' });
    f.sandbox.setFaults([{ count: 1, effect: { type: 'd360-rate-limit', retryAfterSeconds: 2 } }]);
    await f.waitForState(id, 'completed', 60_000);
    const times = f.sandbox
      .messages()
      .map((m) => m.acceptedAt)
      .sort((a, b) => a - b);
    let longestGap = 0;
    for (let i = 1; i < times.length; i++) longestGap = Math.max(longestGap, (times[i] as number) - (times[i - 1] as number));
    // At 285 msg/s the normal gap is a few ms; the cool-down leaves one gap of about two seconds
    // (less the requests that were already in flight when it started).
    expect(longestGap).toBeGreaterThan(1_700);
    expect(longestGap).toBeLessThan(3_500);
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ sent: 1_500, failed: 0 });
  }, 60_000);

  it('enqueuing the same campaign twice adds nothing; a re-run intake changes nothing', async () => {
    fixture = await createPipelineFixture({ mps: 100 });
    const f = fixture;
    const csv = recipientsCsv(250, phone);
    const options = { id: 'same-campaign', channelId: f.channelId, template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS }, batchSize: 100, startAt: Date.now() + 60_000 };
    await createCampaign(f.ctx, options, readRecipients(Readable.from([csv]), 'csv'));
    const jobsBefore = await f.ctx.queue.getJobCounts('delayed', 'waiting');
    await enqueueBatches(f.ctx.queue, 'same-campaign', [0, 1, 2], { startAt: options.startAt });
    expect(await f.ctx.queue.getJobCounts('delayed', 'waiting')).toEqual(jobsBefore);
    expect(jobsBefore.delayed).toBe(3);
    // Storing the same batch again (an intake re-run after a crash) neither duplicates nor recounts.
    const batch = await f.ctx.campaigns.loadBatch('same-campaign', 1);
    expect(await f.ctx.campaigns.storeBatch('same-campaign', 1, batch, [])).toBe(100);
    expect(await f.ctx.campaigns.counts('same-campaign')).toMatchObject({ total: 250, pending: 250, skipped: 0 });
  });

  it('intake keeps the good rows and reports every bad one with its line and reason', async () => {
    fixture = await createPipelineFixture({ mps: 100 });
    const f = fixture;
    const csv = [
      'phone,name',
      '+44 7000 000001,Ann', // line 2: ok (normalised)
      '447000000002,', // line 3: placeholder {{name}} empty (a UK number of possible length)
      'not-a-number,Bob', // line 4: invalid phone
      '44 70 00 00 00 01,Ann again', // line 5: duplicate of line 2
      '4470000000003,Cy,extra', // line 6: column count
      '0044 7000 000004,Di', // line 7: ok (00 prefix)
    ].join('\n');
    const summary = await createCampaign(
      f.ctx,
      { channelId: f.channelId, template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS } },
      readRecipients(Readable.from([csv]), 'csv'),
    );
    expect(summary.counts).toMatchObject({ total: 6, pending: 2, skipped: 4 });
    const rejected = await f.ctx.campaigns.rejected(summary.id);
    expect(rejected.map((r) => [r.line, r.code])).toEqual([
      [3, 'missing_field'],
      [4, 'invalid_phone'],
      [5, 'duplicate'],
      [6, 'column_count'],
    ]);
    expect(rejected[0]?.reason).toContain('{{name}}');
    const batch = await f.ctx.campaigns.loadBatch(summary.id, 0);
    expect(batch.map((r) => r.p)).toEqual(['447000000001', '447000000004']);
    await f.startInProcessWorker();
    await f.waitForState(summary.id, 'completed', 20_000);
    expect(f.sandbox.messages().map((m) => m.to).sort()).toEqual(['447000000001', '447000000004']);
  });

  it('a fatal 401 pauses the campaign instead of failing the list; fixing the key and resuming finishes it', async () => {
    fixture = await createPipelineFixture({ mps: 200 });
    const f = fixture;
    const channel = await f.ctx.channels.loadWithKey(f.channelId);
    await f.ctx.channels.add({ id: f.channelId, baseUrl: channel.baseUrl, apiKey: 'wrong-key', mps: 200 }, { replace: true });
    const id = await f.createCampaign(recipientsCsv(500, phone));
    await f.startInProcessWorker();
    await f.waitForState(id, 'paused', 20_000);
    const paused = await f.ctx.campaigns.get(id);
    expect(paused?.reason).toMatch(/^D360_INVALID_API_KEY/);
    const counts = await f.ctx.campaigns.counts(id);
    expect(counts).toMatchObject({ pending: 500, failed: 0, sent: 0 });

    await f.ctx.channels.add({ id: f.channelId, baseUrl: channel.baseUrl, apiKey: channel.apiKey, mps: 200 }, { replace: true });
    await resumeCampaign(f.ctx, id);
    await f.waitForState(id, 'completed', 30_000);
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ sent: 500, pending: 0, failed: 0 });
    expect(f.sandbox.stats().duplicates).toBe(0);
  }, 60_000);

  it('360dialog unreachable mid-campaign (connections refused): the campaign waits and completes; nothing fails, nothing is sent twice', async () => {
    fixture = await createPipelineFixture({ mps: 300 });
    const f = fixture;
    const N = 1_500;
    const id = await f.createCampaign(recipientsCsv(N, phone));
    await f.startInProcessWorker();
    await waitFor(() => f.sandbox.stats().accepted >= 300, { what: '300 accepted' });
    const { port, config } = f.sandbox;
    const before = f.sandbox.messages();
    await f.sandbox.close();
    // The outage itself (the fault this test injects), not a wait for an effect: while it lasts
    // the worker meets refused connections, and none of them may fail a recipient.
    await holdFault(4_000);
    expect((await f.ctx.campaigns.counts(id)).failed).toBe(0);
    f.sandbox = await createSandbox({ port, config: { channels: config.channels.map((c) => ({ apiKey: c.apiKey, mps: c.mps })) } });
    await f.waitForState(id, 'completed', 60_000);
    const counts = await f.ctx.campaigns.counts(id);
    expect(counts).toMatchObject({ total: N, pending: 0, failed: 0 });
    expect(counts.sent + counts.unknown).toBe(N);
    const accepted = [...before, ...f.sandbox.messages()].map((m) => m.to);
    const distinct = new Set(accepted);
    expect(accepted.length - distinct.size).toBeLessThanOrEqual(counts.unknown);
    expect(distinct.size).toBeGreaterThanOrEqual(counts.sent);
  }, 90_000);

  it('fairness: a slow channel with many queued batches does not hold the workers from a fast channel', async () => {
    fixture = await createPipelineFixture({ mps: 20, env: { LITECAST_WORKER_CONCURRENCY: '4' } });
    const f = fixture;
    const main = f.sandbox.config.channels[0];
    f.sandbox.configure({ channels: [{ apiKey: main?.apiKey ?? '', mps: 20 }, { apiKey: 'fast-key', mps: 500 }] });
    await f.ctx.channels.add({ id: 'fast', baseUrl: f.sandbox.url, apiKey: 'fast-key', mps: 500 });
    // The slow campaign is queued first: 40 batches at 20 msg/s would take 100 s on their own.
    const slow = await f.createCampaign(recipientsCsv(2_000, phone), { batchSize: 50 });
    const fast = await f.createCampaign(recipientsCsv(500, (i) => `4475${String(i).padStart(8, '0')}`), { channelId: 'fast' });
    await f.startInProcessWorker({ LITECAST_WORKER_CONCURRENCY: '4' });
    await f.waitForState(fast, 'completed', 30_000);
    // Ordering, not a stopwatch: the fast campaign is done while most of the slow one still waits.
    const slowCounts = await f.ctx.campaigns.counts(slow);
    expect(slowCounts.pending).toBeGreaterThan(1_000);
    expect(slowCounts.sent).toBeGreaterThan(0);
    await cancelCampaign(f.ctx, slow);
  }, 60_000);
});
