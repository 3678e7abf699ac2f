/**
 * Invariant 2 through a Redis restart: a redis-server with AOF, started by this test on its own
 * port, is shut down mid-campaign and started again on the same data directory. Workers wait,
 * reconnect and finish: nothing lost, nothing sent twice.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPipelineFixture, partitionSum, recipientsCsv, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { waitFor } from '../support/wait-for.ts';

const PORT = 6395;
let fixture: PipelineFixture | undefined;
let dir = '';

function redisServer(): void {
  const result = spawnSync('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', dir, '--daemonize', 'yes', '--logfile', join(dir, 'redis.log')]);
  if (result.status !== 0) throw new Error(`redis-server did not start: ${result.stderr.toString()}`);
}
const redisCli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(PORT), ...args]).stdout.toString().trim();

afterAll(async () => {
  await fixture?.close();
  redisCli('shutdown', 'nosave');
});

describe('Redis restart', () => {
  it('a campaign survives a Redis restart with AOF: every recipient once, none lost', async () => {
    dir = await mkdtemp(join(tmpdir(), 'litecast-aof-'));
    redisServer();
    await waitFor(() => redisCli('ping') === 'PONG', { what: 'redis-server up' });
    const N = 3_000;
    fixture = await createPipelineFixture({ mps: 300, env: { REDIS_URL: `redis://127.0.0.1:${PORT}`, LITECAST_JOB_LOCK_MS: '5000' }, sandboxConfig: { recordPayloads: false } });
    const f = fixture;
    const id = await f.createCampaign(recipientsCsv(N, (i) => `4476${String(i).padStart(8, '0')}`));
    const workers = await Promise.all([f.startWorkerProcess(), f.startWorkerProcess()]);
    await waitFor(() => f.sandbox.stats().accepted >= 800, { timeoutMs: 30_000, what: '800 accepted' });

    redisCli('shutdown');
    const downAt = f.sandbox.stats().accepted;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // While Redis is down nothing can be claimed, so (almost) nothing more is sent.
    expect(f.sandbox.stats().accepted - downAt).toBeLessThanOrEqual(2 * 8 * 16);
    redisServer();

    await f.waitForState(id, 'completed', 90_000);
    const counts = await f.ctx.campaigns.counts(id);
    expect(counts.total).toBe(N);
    expect(counts.pending).toBe(0);
    expect(partitionSum(counts)).toBe(N);
    expect(counts.sent + counts.unknown).toBe(N);
    const stats = f.sandbox.stats();
    expect(stats.duplicates).toBeLessThanOrEqual(counts.unknown);
    expect(new Set(f.sandbox.messages().map((m) => m.to)).size).toBeGreaterThanOrEqual(counts.sent);
    for (const worker of workers) {
      expect(worker.child.exitCode).toBeNull();
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
  }, 150_000);
});
