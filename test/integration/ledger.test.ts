/**
 * The ledger's Lua scripts against real Redis: the shared contract (the same one the unit fake
 * passes), then what only Redis does: counters, error counts and the campaign's automatic
 * completion, script by script.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLedger } from '../../src/ledger/ledger.ts';
import { createKeys } from '../../src/shared/keys.ts';
import { createRedis } from '../../src/shared/redis.ts';
import { describeLedgerContract } from '../support/ledger-contract.ts';
import { REDIS_URL, dropNamespace, testConfig } from '../support/test-env.ts';

const redis = createRedis(REDIS_URL);
const namespaces: string[] = [];
afterEach(async () => {
  await Promise.all(namespaces.splice(0).map((ns) => dropNamespace(ns)));
});
afterAll(() => redis.disconnect());

function fresh() {
  const { namespace } = testConfig();
  namespaces.push(namespace);
  const keys = createKeys(namespace);
  return { keys, ledger: createLedger(redis, keys) };
}

describeLedgerContract('Redis', async () => {
  const { keys, ledger } = fresh();
  return {
    ledger,
    seed: async (campaignId, phone, value) => void (await redis.hset(keys.campaignLedger(campaignId), phone, value)),
    raw: async (campaignId, phone) => redis.hget(keys.campaignLedger(campaignId), phone),
  };
});

const C = 'c1';
const P = '4410000000';

/** A campaign whose counts say `pending` recipients wait; intake done unless told otherwise. */
async function campaign(state: string, pending: number, intakeDone = true) {
  const { keys, ledger } = fresh();
  await redis.hset(keys.campaignMeta(C), { id: C, state, ...(intakeDone ? { intakeDoneAt: '1' } : {}) });
  await redis.hset(keys.campaignCounts(C), { total: pending, pending });
  const counts = async () => Object.fromEntries(Object.entries(await redis.hgetall(keys.campaignCounts(C))).map(([k, v]) => [k, Number(v)]));
  const errors = async () => Object.fromEntries(Object.entries(await redis.hgetall(keys.campaignErrors(C))).map(([k, v]) => [k, Number(v)]));
  const meta = () => redis.hgetall(keys.campaignMeta(C));
  return { keys, ledger, counts, errors, meta };
}

describe('ledger scripts: counters and completion', () => {
  it('commit-many-4 moves pending to the outcome counters and counts the error code', async () => {
    const t = await campaign('running', 3);
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'sent', route: 'cloud', wamid: 'w', fellBack: true, fallbackCode: '131055', acceptedAt: 1 });
    await t.ledger.claim(C, '4420000000', 'b');
    await t.ledger.commit(C, '4420000000', 'b', { outcome: 'failed', code: '131026', verdictClass: 'recipient' });
    expect(await t.counts()).toMatchObject({ pending: 1, sent: 1, sentCloud: 1, fallbacks: 1, failed: 1 });
    expect(await t.errors()).toEqual({ '131026': 1 });
    expect((await t.meta()).state).toBe('running');
  });

  it('commit-many-4 replacing an unknown of the same claim moves unknown, not pending', async () => {
    const t = await campaign('running', 2);
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'unknown', code: 'TIMEOUT' });
    await t.ledger.commit(C, P, 'a', { outcome: 'sent', route: 'lite', wamid: 'w', fellBack: false, acceptedAt: 1 });
    expect(await t.counts()).toMatchObject({ pending: 1, unknown: 0, sent: 1, sentLite: 1 });
  });

  it.each(['running', 'scheduled', 'paused'])('commit-many-4 completes a %s campaign when its last pending recipient settles after intake', async (state) => {
    const t = await campaign(state, 1);
    await t.ledger.commit(C, P, undefined, { outcome: 'expired' }, 1234);
    expect(await t.meta()).toMatchObject({ state: 'completed', finishedAt: '1234' });
  });

  it('commit-many-4 only stamps finishedAt on a cancelled campaign, and completes nothing while intake runs', async () => {
    const cancelled = await campaign('cancelled', 1);
    await cancelled.ledger.commit(C, P, undefined, { outcome: 'cancelled' }, 99);
    expect(await cancelled.meta()).toMatchObject({ state: 'cancelled', finishedAt: '99' });
    const reading = await campaign('running', 1, false);
    await reading.ledger.commit(C, P, undefined, { outcome: 'expired' }, 99);
    expect(await reading.meta()).not.toHaveProperty('finishedAt');
    expect((await reading.meta()).state).toBe('running');
  });

  it('commit-many-4 moves the counters and error codes of several commits, in order, and completes the campaign once at the end', async () => {
    const one = await campaign('running', 4);
    const many = await campaign('running', 4);
    const Q = '4420000000';
    const R = '4430000000';
    const S = '4440000000';
    const commits = [
      { phone: P, token: 'a', outcome: { outcome: 'sent', route: 'cloud', wamid: 'w', fellBack: true, fallbackCode: '131055', acceptedAt: 1, alsoCount: ['ttlDropped'] }, now: 7 },
      { phone: Q, token: 'b', outcome: { outcome: 'unknown', code: 'TIMEOUT' }, now: 8 },
      // The real answer of the same claim, in the same block: moves unknown, not pending.
      { phone: Q, token: 'b', outcome: { outcome: 'sent', route: 'lite', wamid: 'x', fellBack: false, acceptedAt: 2 }, now: 9 },
      { phone: R, token: 'c', outcome: { outcome: 'failed', code: '131026', verdictClass: 'recipient' }, now: 9 },
      { phone: R, token: 'c', outcome: { outcome: 'failed', code: '131026', verdictClass: 'recipient' }, now: 9 },
      { phone: S, token: undefined, outcome: { outcome: 'expired' }, now: 10 },
    ] as const;
    for (const t of [one, many]) for (const [phone, token] of [[P, 'a'], [Q, 'b'], [R, 'c']] as const) await t.ledger.claim(C, phone, token);
    const single: boolean[] = [];
    for (const c of commits) single.push(await one.ledger.commit(C, c.phone, c.token, c.outcome, c.now));
    expect(await many.ledger.commitMany(C, commits)).toEqual(single);
    expect(single).toEqual([true, true, true, true, false, true]);
    expect(await many.counts()).toEqual(await one.counts());
    expect(await many.counts()).toMatchObject({ pending: 0, unknown: 0, sent: 2, sentCloud: 1, sentLite: 1, fallbacks: 1, ttlDropped: 1, failed: 1, expired: 1 });
    expect(await many.errors()).toEqual(await one.errors());
    expect(await many.meta()).toMatchObject({ state: 'completed', finishedAt: '10' });
  });

  it('orphan-3 turns a claim into unknown and counts WORKER_LOST', async () => {
    const t = await campaign('running', 2);
    await t.ledger.claim(C, P, 'dead');
    expect(await t.ledger.orphanToUnknown(C, P, 'dead')).toBe(true);
    expect(await t.counts()).toMatchObject({ pending: 1, unknown: 1 });
    expect(await t.errors()).toEqual({ WORKER_LOST: 1 });
  });

  it('reopen-3 moves a failure back to pending and takes its error code off', async () => {
    const t = await campaign('completed', 1);
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'failed', code: '131049', verdictClass: 'recipient' });
    expect(await t.ledger.reopen(C, P, { state: 'failed', code: '131049', verdictClass: 'recipient' })).toBe(true);
    expect(await t.counts()).toMatchObject({ pending: 1, failed: 0 });
    expect(await t.errors()).toEqual({ '131049': 0 });
  });

  it('confirm-unknown-3 moves unknown to sent on its route and takes the unknown code off', async () => {
    const t = await campaign('running', 1);
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'unknown', code: 'TIMEOUT' });
    expect(await t.ledger.confirmUnknown(C, P, { code: 'TIMEOUT', token: 'a' }, { route: 'cloud', wamid: 'w', acceptedAt: 5 })).toBe(true);
    expect(await t.counts()).toMatchObject({ pending: 0, unknown: 0, sent: 1, sentCloud: 1 });
    expect(await t.errors()).toEqual({ TIMEOUT: 0 });
  });

  it('claim-1 and release-1 leave the counters alone', async () => {
    const t = await campaign('running', 1);
    await t.ledger.claim(C, P, 'a');
    await t.ledger.release(C, P, 'a');
    expect(await t.counts()).toEqual({ total: 1, pending: 1 });
  });
});
