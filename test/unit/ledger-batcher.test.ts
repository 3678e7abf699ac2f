/**
 * The batch loop's ledger: claims and commits asked for in one event-loop turn reach the ledger as
 * one call per campaign, each caller gets its own answer, and a failed call fails only its callers.
 */
import { describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { createLedgerBatcher } from '../../src/worker/ledger-batcher.ts';
import { createFakeLedger } from '../support/fake-ledger.ts';

function counted(ledger: Ledger) {
  const calls: string[] = [];
  const wrapped: Ledger = {
    ...ledger,
    claimMany: async (id, claims) => {
      calls.push(`claimMany ${id} ${claims.length}`);
      return ledger.claimMany(id, claims);
    },
    commitMany: async (id, commits) => {
      calls.push(`commitMany ${id} ${commits.length}`);
      return ledger.commitMany(id, commits);
    },
  };
  return { calls, ledger: wrapped };
}

describe('ledger batcher', () => {
  it('sends the claims and the commits of one turn as one call per campaign', async () => {
    const fake = createFakeLedger({ '4400': 'C|held' });
    const { calls, ledger } = counted(fake.ledger);
    const batcher = createLedgerBatcher(ledger);
    const claims = await Promise.all([batcher.claim('a', '4401', 't1'), batcher.claim('a', '4400', 't2'), batcher.claim('a', '4402', 't3'), batcher.claim('b', '4403', 't4')]);
    expect(claims).toEqual([true, false, true, true]);
    expect(calls).toEqual(['claimMany a 3', 'claimMany b 1']);
    const commits = await Promise.all([
      batcher.commit('a', '4401', 't1', { outcome: 'sent', route: 'lite', wamid: 'w', fellBack: false, acceptedAt: 1 }),
      batcher.commit('a', '4402', 'wrong', { outcome: 'unknown', code: 'TIMEOUT' }),
    ]);
    expect(commits).toEqual([true, false]);
    expect(calls.slice(2)).toEqual(['commitMany a 2']);
    // A later turn is a new call.
    expect(await batcher.commit('a', '4402', 't3', { outcome: 'failed', code: '131026', verdictClass: 'recipient' })).toBe(true);
    expect(calls.slice(3)).toEqual(['commitMany a 1']);
  });

  it('rejects the callers of a call that failed, and only them', async () => {
    const fake = createFakeLedger();
    const batcher = createLedgerBatcher({
      ...fake.ledger,
      claimMany: async (id, claims) => {
        if (id === 'down') throw new Error('redis gone');
        return fake.ledger.claimMany(id, claims);
      },
    });
    const [down, up] = await Promise.allSettled([batcher.claim('down', '4401', 't1'), batcher.claim('up', '4401', 't1')]);
    expect(down).toMatchObject({ status: 'rejected', reason: { message: 'redis gone' } });
    expect(up).toEqual({ status: 'fulfilled', value: true });
  });
});
