/**
 * The ledger's contract, run against the real Redis ledger (test/integration/ledger.test.ts) and
 * the unit tests' in-memory fake (test/unit/fake-ledger.test.ts), so the fake cannot drift from
 * the Lua scripts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/ledger/ledger.ts';

/** A ledger to test, with a way to seed and read a recipient's raw value. */
export type LedgerUnderTest = {
  ledger: Ledger;
  seed(campaignId: string, phone: string, value: string): Promise<void>;
  raw(campaignId: string, phone: string): Promise<string | null>;
};

const C = 'c1';
const P = '4410000000';

/** Declares the contract tests for one ledger implementation; `make` runs before each test. */
export function describeLedgerContract(name: string, make: () => Promise<LedgerUnderTest>): void {
  describe(`ledger contract: ${name}`, () => {
    let t: LedgerUnderTest;
    beforeEach(async () => {
      t = await make();
    });

    it('claims a pending recipient once; a second claim is refused', async () => {
      expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'pending' }]);
      expect(await t.ledger.claim(C, P, 'tok1')).toBe(true);
      expect(await t.ledger.claim(C, P, 'tok2')).toBe(false);
      expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'claimed', token: 'tok1' }]);
      expect(await t.raw(C, P)).toBe('C|tok1');
    });

    it('releases only its own claim', async () => {
      await t.ledger.claim(C, P, 'tok1');
      expect(await t.ledger.release(C, P, 'other')).toBe(false);
      expect(await t.ledger.release(C, P, 'tok1')).toBe(true);
      expect(await t.raw(C, P)).toBeNull();
      expect(await t.ledger.release(C, P, 'tok1')).toBe(false);
    });

    it('commits with the claim it holds, once', async () => {
      await t.ledger.claim(C, P, 'tok1');
      expect(await t.ledger.commit(C, P, 'other', { outcome: 'failed', code: '131026', verdictClass: 'recipient' })).toBe(false);
      expect(await t.ledger.commit(C, P, 'tok1', { outcome: 'sent', route: 'cloud', wamid: 'w1', fellBack: true, fallbackCode: '131055', acceptedAt: 5 })).toBe(true);
      expect(await t.raw(C, P)).toBe('S|cloud|w1|1|131055|5');
      expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'sent', route: 'cloud', wamid: 'w1', fellBack: true, fallbackCode: '131055', acceptedAt: 5 }]);
      expect(await t.ledger.commit(C, P, 'tok1', { outcome: 'failed', code: 'X', verdictClass: 'retry' })).toBe(false);
    });

    it('commits without a claim only while pending', async () => {
      expect(await t.ledger.commit(C, P, undefined, { outcome: 'expired' })).toBe(true);
      expect(await t.raw(C, P)).toBe('E');
      expect(await t.ledger.commit(C, P, undefined, { outcome: 'cancelled' })).toBe(false);
      await t.ledger.claim(C, '4420000000', 'tok1');
      expect(await t.ledger.commit(C, '4420000000', undefined, { outcome: 'suppressed' })).toBe(false);
    });

    it("turns a dead worker's claim into unknown; that claim's real answer still replaces it, no other", async () => {
      await t.seed(C, P, 'C|dead');
      expect(await t.ledger.orphanToUnknown(C, P, 'other')).toBe(false);
      expect(await t.ledger.orphanToUnknown(C, P, 'dead')).toBe(true);
      expect(await t.raw(C, P)).toBe('U|WORKER_LOST|dead');
      expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'unknown', code: 'WORKER_LOST', token: 'dead' }]);
      expect(await t.ledger.claim(C, P, 'tok2')).toBe(false);
      expect(await t.ledger.commit(C, P, 'tok2', { outcome: 'expired' })).toBe(false);
      expect(await t.ledger.commit(C, P, 'dead', { outcome: 'sent', route: 'lite', wamid: 'w', fellBack: false, acceptedAt: 9 })).toBe(true);
      expect(await t.raw(C, P)).toBe('S|lite|w|0||9');
    });

    it('an unknown committed by the worker itself keeps its claim token', async () => {
      await t.ledger.claim(C, P, 'tok1');
      expect(await t.ledger.commit(C, P, 'tok1', { outcome: 'unknown', code: 'TIMEOUT' })).toBe(true);
      expect(await t.raw(C, P)).toBe('U|TIMEOUT|tok1');
      expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'unknown', code: 'TIMEOUT', token: 'tok1' }]);
    });

    it('confirms an unknown as sent, only while it is that unknown', async () => {
      await t.seed(C, P, 'U|TIMEOUT|tok1');
      expect(await t.ledger.confirmUnknown(C, P, { code: 'TIMEOUT', token: 'other' }, { route: 'lite', wamid: 'w', acceptedAt: 7 })).toBe(false);
      expect(await t.ledger.confirmUnknown(C, P, { code: 'TIMEOUT', token: 'tok1' }, { route: 'lite', wamid: 'w', acceptedAt: 7 })).toBe(true);
      expect(await t.raw(C, P)).toBe('S|lite|w|0||7');
      expect(await t.ledger.confirmUnknown(C, P, { code: 'TIMEOUT', token: 'tok1' }, { route: 'lite', wamid: 'w', acceptedAt: 7 })).toBe(false);
    });

    it('reopens a failed recipient only while it holds that failure', async () => {
      await t.seed(C, P, 'F|131049|recipient');
      expect(await t.ledger.reopen(C, P, { state: 'failed', code: '131049', verdictClass: 'retry' })).toBe(false);
      expect(await t.ledger.reopen(C, P, { state: 'failed', code: '131049', verdictClass: 'recipient' })).toBe(true);
      expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'pending' }]);
      expect(await t.ledger.claim(C, P, 'tok1')).toBe(true);
    });

    it('reopens a sent recipient whose delivery failed later, only while it holds that send', async () => {
      await t.seed(C, P, 'S|lite|w1|0||1000');
      expect(await t.ledger.reopen(C, P, { state: 'sent', route: 'lite', wamid: 'w2', fellBack: false, acceptedAt: 1_000 })).toBe(false);
      expect(await t.ledger.reopen(C, P, { state: 'sent', route: 'lite', wamid: 'w1', fellBack: false, acceptedAt: 1_000 })).toBe(true);
      expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'pending' }]);
    });

    it('reopens an unknown recipient only while it holds that unknown (an explicit retry)', async () => {
      await t.seed(C, P, 'U|TIMEOUT|tok1');
      expect(await t.ledger.reopen(C, P, { state: 'unknown', code: 'TIMEOUT', token: 'other' })).toBe(false);
      expect(await t.ledger.reopen(C, P, { state: 'unknown', code: 'TIMEOUT', token: 'tok1' })).toBe(true);
      expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'pending' }]);
    });

    it('claims a block in one call (claim-many-1.lua) and commits a block in one call (commit-many-4.lua), each as claim and commit would', async () => {
      const Q = '4420000000';
      const R = '4430000000';
      await t.ledger.claim(C, Q, 'held');
      expect(await t.ledger.claimMany(C, [{ phone: P, token: 'a' }, { phone: Q, token: 'b' }, { phone: R, token: 'c' }])).toEqual([true, false, true]);
      expect(await t.ledger.entries(C, [P, Q, R])).toEqual([{ state: 'claimed', token: 'a' }, { state: 'claimed', token: 'held' }, { state: 'claimed', token: 'c' }]);
      const applied = await t.ledger.commitMany(C, [
        { phone: P, token: 'a', outcome: { outcome: 'sent', route: 'lite', wamid: 'w1', fellBack: false, acceptedAt: 5 }, now: 5 },
        { phone: Q, token: 'b', outcome: { outcome: 'failed', code: '131026', verdictClass: 'recipient' }, now: 5 },
        { phone: R, token: 'c', outcome: { outcome: 'unknown', code: 'TIMEOUT' }, now: 5 },
      ]);
      expect(applied).toEqual([true, false, true]);
      expect(await t.ledger.entries(C, [P, Q, R])).toEqual([
        { state: 'sent', route: 'lite', wamid: 'w1', fellBack: false, acceptedAt: 5 },
        { state: 'claimed', token: 'held' },
        { state: 'unknown', code: 'TIMEOUT', token: 'c' },
      ]);
      expect(await t.ledger.claimMany(C, [])).toEqual([]);
      expect(await t.ledger.commitMany(C, [])).toEqual([]);
    });

    it('lists every recipient with a value, decoded', async () => {
      await t.seed(C, P, 'X');
      await t.seed(C, '4420000000', 'K');
      const seen = new Map<string, unknown>();
      for await (const [phone, entry] of t.ledger.scan(C)) seen.set(phone, entry);
      expect(Object.fromEntries(seen)).toEqual({ [P]: { state: 'suppressed' }, '4420000000': { state: 'cancelled' } });
    });
  });
}
