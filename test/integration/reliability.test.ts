/**
 * The faults a real deployment meets, each against real Redis, the sandbox and worker processes,
 * each checked against design.md's invariants: every recipient in exactly one outcome, nothing
 * lost, duplicates at the sandbox no more than the `unknown` count, counters equal to the ledger,
 * processes healthy afterwards. Each test appends its figures to test/artifacts/reliability.ndjson
 * (RELIABILITY.md is written from that file by test/support/write-reliability.ts when
 * `npm run test:reliability` ends).
 */
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/index.ts';
import { PARTITION_KEYS } from '../../src/shared/campaign.ts';
import { createPipelineFixture, recipientsCsv, type PipelineFixture } from '../support/pipeline-fixture.ts';
import type { LongRunning } from '../support/spawn-litecast.ts';
import { waitFor } from '../support/wait-for.ts';

const ARTIFACTS = new URL('../artifacts/', import.meta.url);
const ENV = { LITECAST_JOB_LOCK_MS: '3000', LITECAST_RATE_MARGIN: '0.95', LITECAST_HTTP_TIMEOUT_MS: '1500' };
/**
 * Keeps an injected fault (360dialog or Redis down) in place for the duration the scenario
 * states: the outage is the test's input, not a wait for an effect (those use waitFor).
 */
const holdFault = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let fixture: PipelineFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

type Figures = { scenario: string; recipients: number; lost: number; duplicates: number; unknown: number; failed: number; recoverySeconds: number | null; durationSeconds: number };

/** Checks the invariants and returns the figures for the table. */
async function verify(f: PipelineFixture, id: string, accepted: string[], extra: { scenario: string; recoverySeconds: number | null; startedAt: number }): Promise<Figures> {
  const counts = await f.ctx.campaigns.counts(id);
  const ledger = await f.ledger(id);
  const partition = PARTITION_KEYS.reduce((sum, key) => sum + counts[key], 0);
  // Nothing lost: every recipient has exactly one terminal outcome, and the counters say so too.
  expect(counts.pending).toBe(0);
  expect(partition).toBe(counts.total);
  expect(ledger.size).toBe(counts.total - counts.skipped);
  const states = new Map<string, number>();
  for (const entry of ledger.values()) states.set(entry.state, (states.get(entry.state) ?? 0) + 1);
  expect(states.get('claimed') ?? 0).toBe(0);
  expect(states.get('sent') ?? 0).toBe(counts.sent);
  expect(states.get('failed') ?? 0).toBe(counts.failed);
  expect(states.get('unknown') ?? 0).toBe(counts.unknown);
  // Never re-sent: duplicates only where a send was in flight and its fate is unknown.
  const duplicates = accepted.length - new Set(accepted).size;
  expect(duplicates).toBeLessThanOrEqual(counts.unknown);
  const acceptedSet = new Set(accepted);
  const sentButNotAccepted = [...ledger].filter(([phone, entry]) => entry.state === 'sent' && !acceptedSet.has(phone));
  expect(sentButNotAccepted).toEqual([]);
  const figures: Figures = {
    scenario: extra.scenario,
    recipients: counts.total,
    lost: counts.total - partition + counts.pending,
    duplicates,
    unknown: counts.unknown,
    failed: counts.failed,
    recoverySeconds: extra.recoverySeconds,
    durationSeconds: Math.round((Date.now() - extra.startedAt) / 100) / 10,
  };
  await mkdir(ARTIFACTS, { recursive: true });
  await appendFile(new URL('reliability.ndjson', ARTIFACTS), `${JSON.stringify({ ...figures, at: new Date().toISOString() })}\n`);
  return figures;
}

/** Seconds from `since` until the sandbox accepts one more message than `before`. */
async function recovery(f: PipelineFixture, since: number, before: number): Promise<number> {
  await waitFor(() => f.sandbox.stats().accepted > before, { timeoutMs: 60_000, what: 'sends to resume' });
  return Math.round((Date.now() - since) / 100) / 10;
}

const phone = (prefix: string) => (i: number) => `${prefix}${String(i).padStart(8, '0')}`;

async function stopAll(workers: LongRunning[]): Promise<void> {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGTERM');
  const codes = await Promise.all(workers.map((w) => w.exited));
  expect(codes.every((code) => code === 0 || code === null)).toBe(true);
}

describe('reliability under faults', () => {
  it('three SIGKILLs during a 20,000-recipient campaign on two workers', async () => {
    fixture = await createPipelineFixture({ mps: 700, env: ENV, sandboxConfig: { recordPayloads: false, faults: [{ rate: 0.2, effect: { type: 'slow', ms: 30 } }] } });
    const f = fixture;
    const startedAt = Date.now();
    const id = await f.createCampaign(recipientsCsv(20_000, phone('4480')));
    const workers = [await f.startWorkerProcess(), await f.startWorkerProcess()];
    const recoveries: number[] = [];
    for (const threshold of [4_000, 8_000, 12_000]) {
      await waitFor(() => f.sandbox.stats().accepted >= threshold, { timeoutMs: 60_000, what: `${threshold} accepted` });
      const victim = workers.shift() as LongRunning;
      victim.child.kill('SIGKILL');
      await victim.exited;
      const killedAt = Date.now();
      workers.push(await f.startWorkerProcess());
      recoveries.push(await recovery(f, killedAt, f.sandbox.stats().accepted));
    }
    await f.waitForState(id, 'completed', 120_000);
    const figures = await verify(f, id, f.sandbox.messages().map((m) => m.to), { scenario: '3 × SIGKILL of a worker (2 workers)', recoverySeconds: Math.max(...recoveries), startedAt });
    expect(figures.unknown).toBeLessThanOrEqual(3 * 8 * 16);
    expect(figures.failed).toBe(0);
    await stopAll(workers);
  }, 240_000);

  it('360dialog unreachable for 20 seconds (connections refused, then hung), then back', async () => {
    fixture = await createPipelineFixture({ mps: 300, env: ENV, sandboxConfig: { recordPayloads: false } });
    const f = fixture;
    const startedAt = Date.now();
    const id = await f.createCampaign(recipientsCsv(6_000, phone('4482')));
    const workers = [await f.startWorkerProcess(), await f.startWorkerProcess()];
    await waitFor(() => f.sandbox.stats().accepted >= 1_500, { timeoutMs: 60_000, what: '1,500 accepted' });
    const { port, config } = f.sandbox;
    const accepted = f.sandbox.messages().map((m) => m.to);
    await f.sandbox.close();
    await holdFault(10_000);
    // Back on the same port, but every request hangs for another 10 seconds.
    f.sandbox = await createSandbox({ port, config: { channels: config.channels.map((c) => ({ apiKey: c.apiKey, mps: c.mps })), recordPayloads: false, faults: [{ effect: { type: 'hang' } }] } });
    await holdFault(10_000);
    f.sandbox.setFaults([]);
    const backAt = Date.now();
    const recoverySeconds = await recovery(f, backAt, 0);
    await f.waitForState(id, 'completed', 120_000);
    accepted.push(...f.sandbox.messages().map((m) => m.to));
    const figures = await verify(f, id, accepted, { scenario: '360dialog unreachable 20 s (10 s refused, 10 s hung)', recoverySeconds, startedAt });
    expect(figures.failed).toBe(0);
    // Only requests already in flight when the endpoint hung can be unknown: the breaker stops the rest.
    expect(figures.unknown).toBeLessThanOrEqual(2 * 8 * 16);
    await stopAll(workers);
  }, 180_000);

  it('a steady fault mix: 10% HTTP 500, 3% hung responses, bursts of 429 and 130429', async () => {
    fixture = await createPipelineFixture({
      mps: 400,
      env: ENV,
      sandboxConfig: {
        recordPayloads: false,
        faults: [
          { rate: 0.1, effect: { type: 'http', status: 500 } },
          { rate: 0.03, effect: { type: 'hang' } },
          { count: 20, rate: 0.5, effect: { type: 'd360-rate-limit', retryAfterSeconds: 1 } },
          { count: 20, rate: 0.5, effect: { type: 'error', code: 130429 } },
        ],
      },
    });
    const f = fixture;
    const startedAt = Date.now();
    const id = await f.createCampaign(recipientsCsv(5_000, phone('4483')));
    const workers = [await f.startWorkerProcess(), await f.startWorkerProcess()];
    await f.waitForState(id, 'completed', 150_000);
    const stats = f.sandbox.stats();
    expect(stats.faultsApplied).toMatchObject({ http: expect.any(Number), hang: expect.any(Number) });
    const figures = await verify(f, id, f.sandbox.messages().map((m) => m.to), { scenario: 'fault mix: 10% 500, 3% hang, bursts of 429 and 130429', recoverySeconds: null, startedAt });
    // Hung requests may have been accepted: they end unknown, never re-sent; everything else is sent.
    expect(figures.unknown).toBeGreaterThan(0);
    expect(figures.failed).toBe(0);
    expect(figures.duplicates).toBe(0);
    await stopAll(workers);
  }, 200_000);

  it('a template paused mid-campaign (132015): paused with the reason, resumed cleanly', async () => {
    fixture = await createPipelineFixture({ mps: 400, env: ENV, sandboxConfig: { recordPayloads: false } });
    const f = fixture;
    const startedAt = Date.now();
    const id = await f.createCampaign(recipientsCsv(4_000, phone('4484')));
    const workers = [await f.startWorkerProcess(), await f.startWorkerProcess()];
    await waitFor(() => f.sandbox.stats().accepted >= 1_000, { timeoutMs: 60_000, what: '1,000 accepted' });
    f.sandbox.configure({ templates: [{ name: 'litecast_promo', language: 'en', category: 'MARKETING', status: 'PAUSED' }] });
    await f.waitForState(id, 'paused', 20_000);
    expect((await f.ctx.campaigns.get(id))?.reason).toMatch(/^132015/);
    // The running batches park; from then on nothing is sent until the resume.
    await f.waitForBatchesStopped();
    const pausedAt = f.sandbox.stats().accepted;
    expect((await f.ctx.campaigns.counts(id)).pending).toBeGreaterThan(0);
    expect(f.sandbox.stats().accepted).toBe(pausedAt);
    f.sandbox.configure({ templates: [{ name: 'litecast_promo', language: 'en', category: 'MARKETING', bodyParams: 1 }] });
    const { resumeCampaign } = await import('../../src/producer/campaign-actions.ts');
    const resumedAt = Date.now();
    await resumeCampaign(f.ctx, id);
    const recoverySeconds = await recovery(f, resumedAt, pausedAt);
    await f.waitForState(id, 'completed', 60_000);
    const figures = await verify(f, id, f.sandbox.messages().map((m) => m.to), { scenario: 'template paused mid-campaign (132015), then resumed', recoverySeconds, startedAt });
    expect(figures).toMatchObject({ failed: 0, unknown: 0, duplicates: 0 });
    await stopAll(workers);
  }, 120_000);

  it('Redis restarted mid-campaign (AOF, on its own port)', async () => {
    const PORT = 6395;
    const dir = await mkdtemp(join(tmpdir(), 'litecast-aof-'));
    const redisServer = () => {
      const result = spawnSync('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', dir, '--daemonize', 'yes', '--logfile', join(dir, 'redis.log')]);
      if (result.status !== 0) throw new Error(`redis-server did not start: ${result.stderr.toString()}`);
    };
    const redisCli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(PORT), ...args]).stdout.toString().trim();
    redisServer();
    try {
      await waitFor(() => redisCli('ping') === 'PONG', { what: 'redis-server up' });
      fixture = await createPipelineFixture({ mps: 300, env: { ...ENV, REDIS_URL: `redis://127.0.0.1:${PORT}` }, sandboxConfig: { recordPayloads: false } });
      const f = fixture;
      const startedAt = Date.now();
      const id = await f.createCampaign(recipientsCsv(3_000, phone('4476')));
      const workers = [await f.startWorkerProcess(), await f.startWorkerProcess()];
      await waitFor(() => f.sandbox.stats().accepted >= 800, { timeoutMs: 30_000, what: '800 accepted' });
      redisCli('shutdown');
      const downAt = f.sandbox.stats().accepted;
      await holdFault(2_000);
      // While Redis is down nothing can be claimed, so at most what was already in flight is sent.
      expect(f.sandbox.stats().accepted - downAt).toBeLessThanOrEqual(2 * 8 * 16);
      redisServer();
      const backAt = Date.now();
      const recoverySeconds = await recovery(f, backAt, f.sandbox.stats().accepted);
      await f.waitForState(id, 'completed', 90_000);
      const figures = await verify(f, id, f.sandbox.messages().map((m) => m.to), { scenario: 'Redis restarted mid-campaign (AOF), down 2 s', recoverySeconds, startedAt });
      expect(figures.failed).toBe(0);
      for (const worker of workers) expect(worker.child.exitCode).toBeNull();
      await stopAll(workers);
    } finally {
      redisCli('shutdown', 'nosave');
    }
  }, 150_000);
});
