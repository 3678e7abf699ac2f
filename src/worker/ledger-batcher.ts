/**
 * The ledger as the batch loop sees it, with claims and commits coalesced: every claim (or commit)
 * of a campaign asked for in one turn of the event loop goes to Redis as one script call
 * (claim-many-1.lua, commit-many-4.lua), flushed in that same turn (setImmediate). So a fast
 * channel's sends, whose limiter slots arrive ten at a time, cost one round trip to claim and one
 * to commit.
 *
 * At-most-once is unchanged: a claim is still asked for by the sending core right before its first
 * POST, and the flush happens before the event loop polls again, so a block holds only recipients
 * whose POSTs go out in this turn. A crash leaves `claimed` (turned `unknown` later) only what was
 * about to be or was on the wire, as one claim per POST did; a commit waits at most the rest of the
 * turn, as long as its own round trip used to take.
 */
import type { Ledger, LedgerOutcome } from '../ledger/ledger.ts';
import type { BatchPorts } from './process-batch.ts';

type Pending<T> = T & { resolve(applied: boolean): void; reject(error: unknown): void };
type ClaimRequest = { phone: string; token: string };
type CommitRequest = { phone: string; token: string | undefined; outcome: LedgerOutcome; now: number };

/** Wraps a ledger so that claims and commits made in the same event-loop turn share one call per campaign. */
export function createLedgerBatcher(ledger: Pick<Ledger, 'entries' | 'claimMany' | 'release' | 'commitMany' | 'orphanToUnknown'>): BatchPorts['ledger'] {
  let claims = new Map<string, Array<Pending<ClaimRequest>>>();
  let commits = new Map<string, Array<Pending<CommitRequest>>>();
  let scheduled = false;

  const settle = <T>(list: Array<Pending<T>>, call: Promise<boolean[]>) =>
    call.then(
      (applied) => list.forEach((item, i) => item.resolve(applied[i] === true)),
      (error: unknown) => list.forEach((item) => item.reject(error)),
    );

  function flush(): void {
    scheduled = false;
    const claimBlocks = claims;
    const commitBlocks = commits;
    claims = new Map();
    commits = new Map();
    for (const [campaignId, list] of claimBlocks) void settle(list, ledger.claimMany(campaignId, list));
    for (const [campaignId, list] of commitBlocks) void settle(list, ledger.commitMany(campaignId, list));
  }

  function enqueue<T>(map: Map<string, Array<Pending<T>>>, campaignId: string, request: T): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let list = map.get(campaignId);
      if (!list) map.set(campaignId, (list = []));
      list.push({ ...request, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  }

  return {
    entries: (campaignId, phones) => ledger.entries(campaignId, phones),
    release: (campaignId, phone, token) => ledger.release(campaignId, phone, token),
    orphanToUnknown: (campaignId, phone, token, code) => ledger.orphanToUnknown(campaignId, phone, token, code),
    claim: (campaignId, phone, token) => enqueue(claims, campaignId, { phone, token }),
    commit: (campaignId, phone, token, outcome, now = Date.now()) => enqueue(commits, campaignId, { phone, token, outcome, now }),
  };
}
