/**
 * The campaign ledger: one hash per campaign, phone → state, changed only by the Lua scripts
 * beside this file so that a recipient's state and the campaign's counters always move together
 * (design.md invariants 1 and 2). Values are encoded and decoded in ledger-value.ts, nowhere else.
 */
import type { RedisClient as Redis } from '../shared/redis.ts';
import type { Keys } from '../shared/keys.ts';
import { AUTO_COMPLETION } from '../shared/campaign-lifecycle.ts';
import { defineScripts } from '../shared/redis-scripts.ts';
import { claimValue, decodeLedgerValue, encodeOutcome, reopenableValue, reopenedCounters, unknownOfClaim, type LedgerEntry, type LedgerOutcome, type ReopenableEntry } from './ledger-value.ts';

export { decodeLedgerValue, type LedgerEntry, type LedgerOutcome } from './ledger-value.ts';

const SCRIPTS = {
  claim: new URL('./claim-1.lua', import.meta.url),
  claimMany: new URL('./claim-many-1.lua', import.meta.url),
  release: new URL('./release-1.lua', import.meta.url),
  commitMany: new URL('./commit-many-4.lua', import.meta.url),
  orphan: new URL('./orphan-3.lua', import.meta.url),
  reopen: new URL('./reopen-3.lua', import.meta.url),
  confirmUnknown: new URL('./confirm-unknown-3.lua', import.meta.url),
};

/** A sent outcome proven by a status webhook for an `unknown` recipient. */
export type ConfirmedSend = { route: 'lite' | 'cloud'; wamid: string; acceptedAt: number };

/** The ledger operations of one namespace. */
export function createLedger(redis: Redis, keys: Keys) {
  const run = defineScripts(redis, SCRIPTS);
  const ledgerKey = (campaignId: string) => keys.campaignLedger(campaignId);
  const counterKeys = (campaignId: string) => [keys.campaignLedger(campaignId), keys.campaignCounts(campaignId), keys.campaignErrors(campaignId)];

  const ledger = {
    /** Decoded entries for a list of phones (one round trip). */
    async entries(campaignId: string, phones: string[]): Promise<LedgerEntry[]> {
      if (phones.length === 0) return [];
      return (await redis.hmget(ledgerKey(campaignId), ...phones)).map(decodeLedgerValue);
    },
    /** Every recipient with a value (pending ones are absent), a page at a time. */
    async *scan(campaignId: string): AsyncGenerator<[phone: string, entry: LedgerEntry]> {
      let cursor = '0';
      do {
        const [next, flat] = await redis.hscan(ledgerKey(campaignId), cursor, 'COUNT', 1000);
        cursor = next;
        for (let i = 0; i < flat.length; i += 2) yield [flat[i] as string, decodeLedgerValue(flat[i + 1])];
      } while (cursor !== '0');
    },
    /** Claims a pending recipient for one POST; false if it is claimed or done already. */
    async claim(campaignId: string, phone: string, token: string): Promise<boolean> {
      return (await run('claim', [ledgerKey(campaignId)], [phone, claimValue(token)])) === 'OK';
    },
    /** Gives back a claim when nothing was posted (pause, shutdown, fatal verdict). */
    async release(campaignId: string, phone: string, token: string): Promise<boolean> {
      return (await run('release', [ledgerKey(campaignId)], [phone, claimValue(token)])) === 1;
    },
    /**
     * Records an outcome. With a token, the recipient must hold that claim (or an `unknown` left by
     * it); without one, it must be pending (expired, suppressed or cancelled before any claim).
     * False when it was not applied. Completes the campaign when nothing is left pending
     * (AUTO_COMPLETION of the campaign lifecycle).
     */
    async commit(campaignId: string, phone: string, token: string | undefined, outcome: LedgerOutcome, now = Date.now()): Promise<boolean> {
      const [applied] = await ledger.commitMany(campaignId, [{ phone, token, outcome, now }]);
      return applied === true;
    },
    /** Claims several pending recipients of one campaign in one script call; per recipient, whether it was claimed. */
    async claimMany(campaignId: string, claims: ReadonlyArray<{ phone: string; token: string }>): Promise<boolean[]> {
      if (claims.length === 0) return [];
      const replies = (await run('claimMany', [ledgerKey(campaignId)], claims.flatMap((c) => [c.phone, claimValue(c.token)]))) as number[];
      return replies.map((r) => r === 1);
    },
    /**
     * Several commits of one campaign in one script call (commit-many-4.lua: one round trip, the
     * counters moved once per field), each exactly as `commit` would record it, in order; per
     * commit, whether it was applied.
     */
    async commitMany(campaignId: string, commits: ReadonlyArray<{ phone: string; token: string | undefined; outcome: LedgerOutcome; now: number }>): Promise<boolean[]> {
      if (commits.length === 0) return [];
      let now = 0;
      const args: string[] = [AUTO_COMPLETION.completeFrom.join(','), AUTO_COMPLETION.stampFrom.join(','), ''];
      for (const c of commits) {
        const { value, counters, errorCode } = encodeOutcome(c.outcome, c.token ?? '');
        const unknown = c.token ? unknownOfClaim(c.token) : { prefix: '', suffix: '' };
        args.push(c.phone, c.token ? claimValue(c.token) : '', unknown.prefix, unknown.suffix, value, errorCode, counters.join(','));
        now = Math.max(now, c.now);
      }
      args[2] = String(now);
      const replies = (await run('commitMany', [...counterKeys(campaignId), keys.campaignMeta(campaignId)], args)) as number[];
      return replies.map((r) => r === 1);
    },
    /**
     * Puts a failed recipient (or, on explicit request, an `unknown` one, or a sent one whose
     * delivery failed later) back to pending, only if its value is still the one read.
     */
    async reopen(campaignId: string, phone: string, entry: ReopenableEntry): Promise<boolean> {
      const { counters, errorCode } = reopenedCounters(entry);
      return (await run('reopen', counterKeys(campaignId), [phone, reopenableValue(entry), errorCode, counters.join(',')])) === 1;
    },
    /** Turns a dead worker's claim into `unknown` (it may have been sent: never re-sent automatically). */
    async orphanToUnknown(campaignId: string, phone: string, token: string, code = 'WORKER_LOST'): Promise<boolean> {
      const { value } = encodeOutcome({ outcome: 'unknown', code }, token);
      return (await run('orphan', counterKeys(campaignId), [phone, claimValue(token), value, code])) === 1;
    },
    /**
     * A status webhook proved that an `unknown` recipient's send was accepted: it becomes `sent`
     * (never a fallback: which attempt was accepted is not known). False when its value changed.
     */
    async confirmUnknown(campaignId: string, phone: string, unknown: { code: string; token: string }, send: ConfirmedSend): Promise<boolean> {
      const expected = encodeOutcome({ outcome: 'unknown', code: unknown.code }, unknown.token).value;
      const { value, counters } = encodeOutcome({ outcome: 'sent', ...send, fellBack: false }, '');
      return (await run('confirmUnknown', counterKeys(campaignId), [phone, expected, value, unknown.code, ...counters])) === 1;
    },
  };
  return ledger;
}

export type Ledger = ReturnType<typeof createLedger>;
