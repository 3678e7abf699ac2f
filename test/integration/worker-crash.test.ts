/**
 * Invariants 1 and 2 under process death: a worker killed with SIGKILL loses nothing (its batches
 * run again elsewhere) and only what it had in flight can end `unknown`; SIGTERM drains.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPipelineFixture, partitionSum, recipientsCsv, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { waitFor } from '../support/wait-for.ts';

let fixture: PipelineFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

const phone = (i: number) => `4470${String(i).padStart(8, '0')}`;
/** Short batch locks so a killed worker's batches are picked up again within seconds. */
const FAST_RECOVERY = { LITECAST_JOB_LOCK_MS: '3000', LITECAST_RATE_MARGIN: '0.95' };

describe('worker crashes and shutdown', () => {
  it('SIGKILL mid-campaign: nothing lost, no duplicates, only in-flight recipients can be unknown', async () => {
    const N = 3_000;
    fixture = await createPipelineFixture({ mps: 400, env: FAST_RECOVERY, sandboxConfig: { recordPayloads: false } });
    const f = fixture;
    // Slow answers keep requests in flight at the moment of the kill.
    f.sandbox.setFaults([{ rate: 0.3, effect: { type: 'slow', ms: 40 } }]);
    const id = await f.createCampaign(recipientsCsv(N, phone));
    const [victim, survivor] = await Promise.all([f.startWorkerProcess(), f.startWorkerProcess()]);
    await waitFor(() => f.sandbox.stats().accepted >= 800, { timeoutMs: 30_000, what: '800 accepted' });
    victim?.child.kill('SIGKILL');
    await victim?.exited;
    await f.waitForState(id, 'completed', 90_000);

    const counts = await f.ctx.campaigns.counts(id);
    const ledger = await f.ledger(id);
    const stats = f.sandbox.stats();
    expect(counts.total).toBe(N);
    expect(counts.pending).toBe(0);
    expect(partitionSum(counts)).toBe(N);
    expect(ledger.size).toBe(N);
    // Every recipient ended sent or unknown, and the unknown ones were in flight at the kill:
    // at most one batch-parallelism worth per batch the victim held.
    expect(counts.sent + counts.unknown).toBe(N);
    expect(counts.unknown).toBeLessThanOrEqual(8 * 16);
    // Never re-sent: no duplicates at the sandbox, and each sent recipient was accepted once.
    expect(stats.duplicates).toBe(0);
    const accepted = new Set(f.sandbox.messages().map((m) => m.to));
    for (const [p, entry] of ledger) {
      if (entry.state === 'sent') expect(accepted.has(p)).toBe(true);
    }
    expect(accepted.size).toBeLessThanOrEqual(N);
    expect(accepted.size).toBeGreaterThanOrEqual(counts.sent);
    // Counters equal the ledger.
    const sentInLedger = [...ledger.values()].filter((e) => e.state === 'sent').length;
    expect(sentInLedger).toBe(counts.sent);
    expect((await f.ctx.campaigns.errors(id)).WORKER_LOST ?? 0).toBe(counts.unknown);

    survivor?.child.kill('SIGTERM');
    expect(await survivor?.exited).toBe(0);
  }, 150_000);

  it('SIGTERM drains: in-flight sends are committed, the process exits promptly, another worker finishes with nothing unknown', async () => {
    const N = 2_000;
    fixture = await createPipelineFixture({ mps: 300, env: FAST_RECOVERY, sandboxConfig: { recordPayloads: false } });
    const f = fixture;
    f.sandbox.setFaults([{ rate: 0.2, effect: { type: 'slow', ms: 100 } }]);
    const id = await f.createCampaign(recipientsCsv(N, phone));
    const first = await f.startWorkerProcess();
    await waitFor(() => f.sandbox.stats().accepted >= 500, { timeoutMs: 30_000, what: '500 accepted' });
    first.child.kill('SIGTERM');
    // 0, not the forced exit's 1: the drain finished on its own.
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('shutting down');

    const afterStop = await f.ctx.campaigns.counts(id);
    expect(afterStop.pending).toBeGreaterThan(0);
    expect(afterStop.unknown).toBe(0);
    // Nothing is left claimed: every in-flight send was committed or given back.
    const claimed = [...(await f.ledger(id)).values()].filter((e) => e.state === 'claimed');
    expect(claimed).toEqual([]);

    const second = await f.startWorkerProcess();
    await f.waitForState(id, 'completed', 60_000);
    const counts = await f.ctx.campaigns.counts(id);
    expect(counts).toMatchObject({ total: N, pending: 0, sent: N, unknown: 0 });
    expect(f.sandbox.stats().duplicates).toBe(0);
    expect(f.sandbox.messages()).toHaveLength(N);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
