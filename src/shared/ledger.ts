/**
 * The campaign ledger: one hash per campaign, phone → state, changed only by the Lua scripts here
 * so that a recipient's state and the campaign's counters always move together (design.md
 * invariants 1 and 2).
 *
 * Ledger values:
 * - absent            pending, never claimed
 * - `C|<token>`       claimed: a worker is about to POST or is posting
 * - `S|<route>|<wamid>|<fellBack 0/1>|<fallbackCode>|<acceptedAt ms>`   sent
 * - `F|<code>|<class>`   failed          - `E`  expired      - `X`  suppressed
 * - `K`                  cancelled       - `U|<code>|<token>`  unknown (claimed when a worker died
 *   or the answer never came: maybe sent, never re-sent automatically)
 */
import type { RedisClient as Redis } from './redis.ts';
import type { Keys } from './keys.ts';

/** Lua: claim a pending recipient. Returns 'OK' or the current value. */
const CLAIM = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then return v end
redis.call('HSET', KEYS[1], ARGV[1], 'C|' .. ARGV[2])
return 'OK'`;

/**
 * Lua: record an outcome and move the counters.
 * KEYS: ledger, counts, errors, meta. ARGV: phone, token ('' = only if pending), value, errorCode
 * ('' = none), now, counter fields...
 * With a token the recipient must hold that claim, or be `unknown` from that same claim (a live
 * worker whose batch was taken over: the real answer replaces the guess).
 * Marks the campaign completed when nothing is pending any more and intake is done.
 */
const COMMIT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local token = ARGV[2]
local from = 'pending'
if token == '' then
  if cur then return 0 end
else
  if cur == 'C|' .. token then
    from = 'pending'
  elseif cur and string.sub(cur, 1, 2) == 'U|' and string.sub(cur, -(#token + 1)) == '|' .. token then
    from = 'unknown'
  else
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], from, -1)
for i = 6, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[4], 1) end
if tonumber(redis.call('HGET', KEYS[2], 'pending') or '0') <= 0 and redis.call('HEXISTS', KEYS[4], 'intakeDoneAt') == 1 then
  local state = redis.call('HGET', KEYS[4], 'state')
  if state == 'running' or state == 'scheduled' or state == 'paused' then
    redis.call('HSET', KEYS[4], 'state', 'completed', 'finishedAt', ARGV[5])
  elseif state == 'cancelled' then
    redis.call('HSETNX', KEYS[4], 'finishedAt', ARGV[5])
  end
end
return 1`;

/** Lua: a claim found at batch start belongs to a dead worker: it becomes `unknown`. KEYS as COMMIT; ARGV: phone, claim value, code. */
const ORPHAN_TO_UNKNOWN = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur ~= ARGV[2] then return 0 end
local token = string.sub(cur, 3)
redis.call('HSET', KEYS[1], ARGV[1], 'U|' .. ARGV[3] .. '|' .. token)
redis.call('HINCRBY', KEYS[2], 'pending', -1)
redis.call('HINCRBY', KEYS[2], 'unknown', 1)
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
return 1`;

/**
 * Lua: a failed (or, on explicit request, unknown) recipient goes back to pending for a retry.
 * KEYS as COMMIT; ARGV: phone, expected value, code, counter it leaves (`failed` or `unknown`).
 */
const REOPEN = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[4], -1)
redis.call('HINCRBY', KEYS[2], 'pending', 1)
if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[3], -1) end
return 1`;

/** Lua: give a claim back (nothing was posted). */
const RELEASE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == 'C|' .. ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

type LedgerRedis = Redis & {
  litecastClaim(ledger: string, phone: string, token: string): Promise<string>;
  litecastCommit(ledger: string, counts: string, errors: string, meta: string, ...args: string[]): Promise<number>;
  litecastOrphan(ledger: string, counts: string, errors: string, meta: string, phone: string, claim: string, code: string): Promise<number>;
  litecastRelease(ledger: string, phone: string, token: string): Promise<number>;
  litecastReopen(ledger: string, counts: string, errors: string, meta: string, phone: string, expected: string, code: string, from: string): Promise<number>;
};

/** Registers the ledger scripts on a connection (idempotent). */
function withScripts(redis: Redis): LedgerRedis {
  const r = redis as LedgerRedis;
  if (typeof r.litecastClaim !== 'function') {
    redis.defineCommand('litecastClaim', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('litecastCommit', { numberOfKeys: 4, lua: COMMIT });
    redis.defineCommand('litecastOrphan', { numberOfKeys: 4, lua: ORPHAN_TO_UNKNOWN });
    redis.defineCommand('litecastRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('litecastReopen', { numberOfKeys: 4, lua: REOPEN });
  }
  return r;
}

/** A terminal outcome to record, with the counters it moves. */
export type LedgerOutcome =
  | { outcome: 'sent'; route: 'lite' | 'cloud'; wamid: string; fellBack: boolean; fallbackCode?: string; acceptedAt: number }
  | { outcome: 'failed'; code: string; verdictClass: string }
  | { outcome: 'unknown'; code: string }
  | { outcome: 'expired' }
  | { outcome: 'suppressed' }
  | { outcome: 'cancelled' };

/** Encodes an outcome as a ledger value plus the counter fields and error code it moves. */
export function encodeOutcome(outcome: LedgerOutcome, token: string): { value: string; counters: string[]; errorCode: string } {
  switch (outcome.outcome) {
    case 'sent': {
      const counters = ['sent', outcome.route === 'lite' ? 'sentLite' : 'sentCloud'];
      if (outcome.fellBack) counters.push('fallbacks');
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
  }
}

/** A ledger value decoded for reports and exports. */
export type LedgerEntry =
  | { state: 'pending' }
  | { state: 'claimed'; token: string }
  | { state: 'sent'; route: 'lite' | 'cloud'; wamid: string; fellBack: boolean; fallbackCode?: string; acceptedAt: number }
  | { state: 'failed'; code: string; verdictClass: string }
  | { state: 'unknown'; code: string }
  | { state: 'expired' | 'suppressed' | 'cancelled' };

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
      return { state: 'unknown', code: a };
    case 'E':
      return { state: 'expired' };
    case 'X':
      return { state: 'suppressed' };
    case 'K':
      return { state: 'cancelled' };
    default:
      return { state: 'pending' };
  }
}

/** The ledger operations of one namespace. */
export function createLedger(redis: Redis, keys: Keys) {
  const r = withScripts(redis);
  const campaignKeys = (campaignId: string) =>
    [keys.campaignLedger(campaignId), keys.campaignCounts(campaignId), keys.campaignErrors(campaignId), keys.campaignMeta(campaignId)] as const;

  return {
    /** Current ledger values for a list of phones (one round trip). */
    async values(campaignId: string, phones: string[]): Promise<Array<string | null>> {
      if (phones.length === 0) return [];
      return redis.hmget(keys.campaignLedger(campaignId), ...phones);
    },
    /** Claims a pending recipient for one POST; false if it is claimed or done already. */
    async claim(campaignId: string, phone: string, token: string): Promise<boolean> {
      return (await r.litecastClaim(keys.campaignLedger(campaignId), phone, token)) === 'OK';
    },
    /** Gives back a claim when nothing was posted (pause, shutdown, fatal verdict). */
    async release(campaignId: string, phone: string, token: string): Promise<boolean> {
      return (await r.litecastRelease(keys.campaignLedger(campaignId), phone, token)) === 1;
    },
    /**
     * Records an outcome. With a token, the recipient must hold that claim; without one, it must be
     * pending (expired, suppressed or cancelled before any claim). False when it was not applied.
     */
    async commit(campaignId: string, phone: string, token: string | undefined, outcome: LedgerOutcome, now = Date.now()): Promise<boolean> {
      const { value, counters, errorCode } = encodeOutcome(outcome, token ?? '');
      return (await r.litecastCommit(...campaignKeys(campaignId), phone, token ?? '', value, errorCode, String(now), ...counters)) === 1;
    },
    /** Puts a failed (or `unknown`) recipient back to pending (only if its value is still `expected`). */
    async reopen(campaignId: string, phone: string, expected: string, code: string, from: 'failed' | 'unknown' = 'failed'): Promise<boolean> {
      return (await r.litecastReopen(...campaignKeys(campaignId), phone, expected, code, from)) === 1;
    },
    /** Turns a dead worker's claim into `unknown` (it may have been sent: never re-sent automatically). */
    async orphanToUnknown(campaignId: string, phone: string, claimValue: string, code = 'WORKER_LOST'): Promise<boolean> {
      return (await r.litecastOrphan(...campaignKeys(campaignId), phone, claimValue, code)) === 1;
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;
