/**
 * The one encoding of ledger values. Every value the ledger hash holds is built and read here; the
 * Lua scripts beside this file never spell a value themselves, they compare and store the strings
 * this module hands them.
 *
 * - absent            pending, never claimed
 * - `C|<token>`       claimed: a worker is about to POST or is posting
 * - `S|<route>|<wamid>|<fellBack 0/1>|<fallbackCode>|<acceptedAt ms>`   sent
 * - `F|<code>|<class>`   failed          - `E`  expired      - `X`  suppressed
 * - `K`                  cancelled       - `Q`  capped (the channel's frequency cap was reached)
 * - `U|<code>|<token>`  unknown (claimed when a worker died
 *   or the answer never came: maybe sent, never re-sent automatically; the token says which claim)
 */

/** A terminal outcome to record, with the counters it moves. */
export type LedgerOutcome =
  | {
      outcome: 'sent';
      route: 'lite' | 'cloud';
      wamid: string;
      fellBack: boolean;
      fallbackCode?: string;
      acceptedAt: number;
      /**
       * Side counters moved in the same commit (not part of the value): `held` (accepted but held
       * by Meta's template pacing), `ttlDropped` (a fallback to /messages lost the campaign's TTL).
       */
      alsoCount?: ReadonlyArray<'held' | 'ttlDropped'>;
    }
  | { outcome: 'failed'; code: string; verdictClass: string }
  | { outcome: 'unknown'; code: string }
  | { outcome: 'expired' }
  | { outcome: 'suppressed' }
  | { outcome: 'cancelled' }
  | { outcome: 'capped' };

/** A ledger value decoded. */
export type LedgerEntry =
  | { state: 'pending' }
  | { state: 'claimed'; token: string }
  | { state: 'sent'; route: 'lite' | 'cloud'; wamid: string; fellBack: boolean; fallbackCode?: string; acceptedAt: number }
  | { state: 'failed'; code: string; verdictClass: string }
  | { state: 'unknown'; code: string; token: string }
  | { state: 'expired' | 'suppressed' | 'cancelled' | 'capped' };

/** The value of a recipient claimed with `token`. */
export function claimValue(token: string): string {
  return `C|${token}`;
}

/**
 * How to recognise an `unknown` left by the claim `token` (whatever its code): the value starts
 * with `prefix` and ends with `suffix`. The real answer of a live worker replaces such a guess.
 */
export function unknownOfClaim(token: string): { prefix: string; suffix: string } {
  return { prefix: 'U|', suffix: `|${token}` };
}

/** Encodes an outcome as a ledger value plus the counter fields and error code it moves. */
export function encodeOutcome(outcome: LedgerOutcome, token: string): { value: string; counters: string[]; errorCode: string } {
  switch (outcome.outcome) {
    case 'sent': {
      const counters = ['sent', outcome.route === 'lite' ? 'sentLite' : 'sentCloud'];
      if (outcome.fellBack) counters.push('fallbacks');
      if (outcome.alsoCount) counters.push(...outcome.alsoCount);
      return { value: `S|${outcome.route}|${outcome.wamid}|${outcome.fellBack ? 1 : 0}|${outcome.fallbackCode ?? ''}|${outcome.acceptedAt}`, counters, errorCode: '' };
    }
    case 'failed':
      return { value: `F|${outcome.code}|${outcome.verdictClass}`, counters: ['failed'], errorCode: outcome.code };
    case 'unknown':
      return { value: `U|${outcome.code}|${token}`, counters: ['unknown'], errorCode: outcome.code };
    case 'expired':
      return { value: 'E', counters: ['expired'], errorCode: '' };
    case 'suppressed':
      return { value: 'X', counters: ['suppressed'], errorCode: '' };
    case 'cancelled':
      return { value: 'K', counters: ['cancelled'], errorCode: '' };
    case 'capped':
      return { value: 'Q', counters: ['capped'], errorCode: '' };
  }
}

/** Encodes a decoded entry back into its value (the inverse of decodeLedgerValue; pending is absent). */
export function encodeEntry(entry: LedgerEntry): string | null {
  switch (entry.state) {
    case 'pending':
      return null;
    case 'claimed':
      return claimValue(entry.token);
    case 'sent':
      return encodeOutcome({ ...entry, outcome: 'sent' }, '').value;
    case 'failed':
      return encodeOutcome({ outcome: 'failed', code: entry.code, verdictClass: entry.verdictClass }, '').value;
    case 'unknown':
      return encodeOutcome({ outcome: 'unknown', code: entry.code }, entry.token).value;
    default:
      return encodeOutcome({ outcome: entry.state }, '').value;
  }
}

/** Decodes a ledger value (null or absent: pending; an unreadable value also reads as pending). */
export function decodeLedgerValue(value: string | null | undefined): LedgerEntry {
  if (!value) return { state: 'pending' };
  const [tag, a = '', b = '', c = '', d = '', e = ''] = value.split('|');
  switch (tag) {
    case 'C':
      return { state: 'claimed', token: a };
    case 'S':
      return { state: 'sent', route: a === 'cloud' ? 'cloud' : 'lite', wamid: b, fellBack: c === '1', ...(d ? { fallbackCode: d } : {}), acceptedAt: Number(e) || 0 };
    case 'F':
      return { state: 'failed', code: a, verdictClass: b };
    case 'U':
      return { state: 'unknown', code: a, token: b };
    case 'E':
      return { state: 'expired' };
    case 'X':
      return { state: 'suppressed' };
    case 'K':
      return { state: 'cancelled' };
    case 'Q':
      return { state: 'capped' };
    default:
      return { state: 'pending' };
  }
}

/** A recipient a retry may reopen: a failure, an `unknown` (on explicit request), or a send whose delivery failed later. */
export type ReopenableEntry = Extract<LedgerEntry, { state: 'failed' | 'unknown' | 'sent' }>;

/** The stored value of a recipient that a retry may reopen. */
export function reopenableValue(entry: ReopenableEntry): string {
  if (entry.state === 'sent') return encodeOutcome({ ...entry, outcome: 'sent' }, '').value;
  return entry.state === 'failed' ? encodeOutcome({ outcome: 'failed', code: entry.code, verdictClass: entry.verdictClass }, '').value : encodeOutcome({ outcome: 'unknown', code: entry.code }, entry.token).value;
}

/** The counters a reopened recipient leaves, and the error code it takes off the errors count. */
export function reopenedCounters(entry: ReopenableEntry): { counters: string[]; errorCode: string } {
  if (entry.state === 'sent') return { counters: encodeOutcome({ ...entry, outcome: 'sent' }, '').counters, errorCode: '' };
  return { counters: [entry.state], errorCode: entry.code };
}
