/**
 * `Idempotency-Key` for `POST /v1/campaigns`: a client that retries after a timeout or a 503 gets
 * the first answer instead of a second campaign. The key is stored (hashed) with a fingerprint of
 * the request; the same key with a different request is refused, a key whose first request is
 * still running answers 409, and an error answer frees the key so the retry can run.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../shared/redis.ts';
import type { Keys } from '../shared/keys.ts';
import { LitecastError } from '../shared/errors.ts';

/** How long a key is remembered: a day covers any sensible retry. */
const KEY_TTL_SECONDS = 24 * 3600;
/** A first request still "in progress" after this long died with its process; the key is freed. */
const IN_PROGRESS_TTL_SECONDS = 15 * 60;

export type StoredAnswer = { statusCode: number; body: unknown };

type Record_ = { fingerprint: string; state: 'running' } | { fingerprint: string; state: 'done'; answer: StoredAnswer };

/** The SHA-256 of the parts that make a request what it is. */
export function requestFingerprint(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Checks the header value; throws a 400 naming the rule. */
export function checkIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value[0] : value;
  if (key === undefined || !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new LitecastError('LITECAST_ERR_VALIDATION', 'Idempotency-Key: use 1–255 visible ASCII characters, e.g. a UUID.');
  }
  return key;
}

export type Idempotency = {
  /** Runs `create` once per key: returns the stored answer for a repeat, refuses a mismatch. */
  run(key: string, fingerprint: string, create: () => Promise<StoredAnswer>): Promise<StoredAnswer & { replayed: boolean }>;
};

/** Idempotency records in Redis under the namespace's keys. */
export function createIdempotency(redis: RedisClient, keys: Keys): Idempotency {
  const keyOf = (key: string) => keys.idempotency(createHash('sha256').update(key).digest('hex'));
  return {
    async run(key, fingerprint, create) {
      const redisKey = keyOf(key);
      const claim: Record_ = { fingerprint, state: 'running' };
      const claimed = await redis.set(redisKey, JSON.stringify(claim), 'EX', IN_PROGRESS_TTL_SECONDS, 'NX');
      if (claimed !== 'OK') {
        const raw = await redis.get(redisKey);
        const existing = raw ? (JSON.parse(raw) as Record_) : undefined;
        if (!existing) return this.run(key, fingerprint, create);
        if (existing.fingerprint !== fingerprint) {
          throw new LitecastError('LITECAST_ERR_IDEMPOTENCY_MISMATCH', 'This Idempotency-Key was already used for a different request; use a new key for a new campaign, or send exactly the same request to get its answer.');
        }
        if (existing.state === 'running') {
          throw new LitecastError('LITECAST_ERR_IDEMPOTENCY_IN_PROGRESS', 'The first request with this Idempotency-Key is still running; wait for it, then send the request again to get its answer.');
        }
        return { ...existing.answer, replayed: true };
      }
      let answer: StoredAnswer;
      try {
        answer = await create();
      } catch (error) {
        // Nothing was created (intake cleans up after itself): the client may try again with the key.
        await redis.del(redisKey).catch(() => undefined);
        throw error;
      }
      const done: Record_ = { fingerprint, state: 'done', answer };
      await redis.set(redisKey, JSON.stringify(done), 'EX', KEY_TTL_SECONDS);
      return { ...answer, replayed: false };
    },
  };
}
