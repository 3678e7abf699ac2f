/**
 * design.md invariants 1–6 end to end: real Redis, the sandbox over HTTP, real worker processes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { partitionSum, recipientsCsv, createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { waitFor } from '../support/wait-for.ts';

let fixture: PipelineFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** 10% not eligible for MM Lite (55…), 4% failing for the recipient (4479…), the rest eligible. */
function mixedPhone(i: number): string {
  const n = String(i).padStart(8, '0');
  if (i % 10 === 3) return `5511${n}`;
  if (i % 25 === 7) return `4479${n}`;
  return `4470${n}`;
}

describe('campaign pipeline', () => {
  it('sends 10,000 recipients across three worker processes through faults, throttles and a fatal pause: each exactly once, on the right route, never above the limit', async () => {
    const MPS = 600;
    const N = 10_000;
    fixture = await createPipelineFixture({
      mps: MPS,
      // Three workers, the sandbox, Redis (three of them on the cluster run) and vitest share two
      // cores here, so a process can wait 50 ms or more for the CPU and its sends then reach the
      // sandbox bunched together. The default margin (3%) is for workers with a core each (the
      // benchmark measures it); this oversubscribed run aims 8% under the limit. The assertion
      // on the limit itself stays strict.
      env: { LITECAST_RATE_MARGIN: '0.92' },
      sandboxConfig: { liteIneligibleRecipients: ['55*'], recipientErrors: [{ match: '4479*', code: 131026 }], recordPayloads: false },
    });
    const f = fixture;
    f.sandbox.setFaults([
      { count: 3, effect: { type: 'error', code: 130429 } },
      { count: 2, effect: { type: 'd360-rate-limit', retryAfterSeconds: 1 } },
      { rate: 0.03, effect: { type: 'http', status: 500 } },
      { rate: 0.01, effect: { type: 'error', code: 131000, httpStatus: 500 } },
    ]);
    const id = await f.createCampaign(recipientsCsv(N, mixedPhone));
    const workers = await Promise.all([f.startWorkerProcess(), f.startWorkerProcess(), f.startWorkerProcess()]);

    // Mid-way, Meta pauses the template: every worker must stop, the campaign must pause.
    await waitFor(() => f.sandbox.stats().accepted >= 4_000, { timeoutMs: 60_000, what: '4,000 accepted' });
    f.sandbox.setFaults([{ effect: { type: 'error', code: 132015 } }]);
    await f.waitForState(id, 'paused', 20_000);
    const paused = await f.ctx.campaigns.get(id);
    expect(paused?.reason).toMatch(/^132015/);
    // In-flight requests finish and the running batches park; after that nothing more is accepted.
    await f.waitForBatchesStopped();
    const acceptedWhilePaused = f.sandbox.stats().accepted;
    const countsWhilePaused = await f.ctx.campaigns.counts(id);
    expect(f.sandbox.stats().accepted).toBe(acceptedWhilePaused);
    expect(countsWhilePaused.pending).toBeGreaterThan(0);
    expect(partitionSum(countsWhilePaused)).toBe(N);

    // Fixed (the template is active again): resume continues where it stopped.
    f.sandbox.setFaults([{ rate: 0.02, effect: { type: 'http', status: 500 } }]);
    const { resumeCampaign } = await import('../../src/producer/campaign-actions.ts');
    await resumeCampaign(f.ctx, id);
    await f.waitForState(id, 'completed', 90_000);

    const counts = await f.ctx.campaigns.counts(id);
    const ledger = await f.ledger(id);
    const messages = f.sandbox.messages();
    const stats = f.sandbox.stats();

    // Every recipient in exactly one outcome, and the counters add up.
    expect(counts.total).toBe(N);
    expect(counts.pending).toBe(0);
    expect(partitionSum(counts)).toBe(N);
    expect(ledger.size).toBe(N);
    const byState = new Map<string, number>();
    for (const entry of ledger.values()) byState.set(entry.state, (byState.get(entry.state) ?? 0) + 1);
    expect(Object.fromEntries(byState)).toEqual({ sent: counts.sent, failed: counts.failed });
    expect(counts.unknown).toBe(0);

    // Zero duplicates at the sandbox: one accepted message per sent recipient, none for failed ones.
    expect(stats.duplicates).toBe(0);
    expect(messages).toHaveLength(counts.sent);
    const acceptedByPhone = new Map(messages.map((m) => [m.to, m]));
    expect(acceptedByPhone.size).toBe(messages.length);

    // The right route per recipient.
    for (let i = 0; i < N; i++) {
      const phone = mixedPhone(i);
      const entry = ledger.get(phone);
      if (phone.startsWith('4479')) {
        expect(entry).toMatchObject({ state: 'failed', code: '131026' });
        expect(acceptedByPhone.has(phone)).toBe(false);
      } else if (phone.startsWith('55')) {
        expect(entry).toMatchObject({ state: 'sent', route: 'cloud', fellBack: true, fallbackCode: '131009' });
        expect(acceptedByPhone.get(phone)?.route).toBe('cloud');
      } else {
        expect(entry).toMatchObject({ state: 'sent', route: 'lite', fellBack: false });
        expect(acceptedByPhone.get(phone)?.route).toBe('lite');
      }
    }
    expect(counts.sentCloud).toBe(N / 10);
    expect(counts.fallbacks).toBe(N / 10);
    expect(counts.failed).toBe(N / 25);

    // No one-second window above the channel's limit, and the sandbox's own limiter never fired:
    // the only 130429 answers are the three injected ones.
    const channelStats = Object.values(stats.perChannel)[0];
    expect(channelStats?.maxRequestsInAnySecond).toBeLessThanOrEqual(MPS);
    expect(stats.rejectedByCode['130429']).toBe(3);

    for (const w of workers) w.child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes).toEqual([0, 0, 0]);
  }, 180_000);
});
