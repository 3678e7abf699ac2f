/**
 * An in-memory ledger for unit tests, with the same rules as the Lua scripts: the shared contract
 * in ledger-contract.ts runs against both (test/unit/fake-ledger.test.ts and
 * test/integration/ledger.test.ts). It keeps the encoded values, so tests can read them as Redis
 * holds them. Counters and the campaign's completion are Redis-side only.
 */
import type { Ledger } from '../../src/ledger/ledger.ts';
import { claimValue, decodeLedgerValue, encodeOutcome, reopenableValue, unknownOfClaim } from '../../src/ledger/ledger-value.ts';

export function createFakeLedger(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  const holdsClaim = (phone: string, token: string) => {
    const current = values.get(phone);
    if (current === undefined) return false;
    if (current === claimValue(token)) return true;
    const unknown = unknownOfClaim(token);
    return current.startsWith(unknown.prefix) && current.endsWith(unknown.suffix);
  };
  const ledger: Ledger = {
    entries: async (_id, phones) => phones.map((p) => decodeLedgerValue(values.get(p))),
    async *scan() {
      for (const [phone, value] of [...values]) yield [phone, decodeLedgerValue(value)];
    },
    claim: async (_id, phone, token) => (values.has(phone) ? false : (values.set(phone, claimValue(token)), true)),
    claimMany: async (id, claims) => Promise.all(claims.map((c) => ledger.claim(id, c.phone, c.token))),
    commitMany: async (id, commits) => Promise.all(commits.map((c) => ledger.commit(id, c.phone, c.token, c.outcome, c.now))),
    release: async (_id, phone, token) => values.get(phone) === claimValue(token) && values.delete(phone),
    commit: async (_id, phone, token, outcome) => {
      if (token ? !holdsClaim(phone, token) : values.has(phone)) return false;
      values.set(phone, encodeOutcome(outcome, token ?? '').value);
      return true;
    },
    reopen: async (_id, phone, entry) => values.get(phone) === reopenableValue(entry) && values.delete(phone),
    orphanToUnknown: async (_id, phone, token, code = 'WORKER_LOST') =>
      values.get(phone) === claimValue(token) && (values.set(phone, encodeOutcome({ outcome: 'unknown', code }, token).value), true),
    confirmUnknown: async (_id, phone, unknown, send) => {
      if (values.get(phone) !== encodeOutcome({ outcome: 'unknown', code: unknown.code }, unknown.token).value) return false;
      values.set(phone, encodeOutcome({ outcome: 'sent', ...send, fellBack: false }, '').value);
      return true;
    },
  };
  return { values, ledger };
}
