import { describe, expect, it } from 'vitest';
import { createKeys } from '../../src/shared/keys.ts';
import type { RedisClient } from '../../src/shared/redis.ts';
import { createRedisLiteMemory } from '../../src/worker/redis-lite-memory.ts';

/** A stand-in for the two commands the memory uses, answering GETs only when told to. */
function fakeRedis() {
  const store = new Map<string, string>();
  const waiting: Array<() => void> = [];
  let gets = 0;
  const redis = {
    get(key: string) {
      gets += 1;
      return new Promise<string | null>((resolve) => waiting.push(() => resolve(store.get(key) ?? null)));
    },
    set(key: string, value: string) {
      store.set(key, value);
      return Promise.resolve('OK');
    },
  };
  return { redis: redis as unknown as RedisClient, store, gets: () => gets, answer: () => waiting.splice(0).forEach((go) => go()) };
}

describe('createRedisLiteMemory', () => {
  const keys = createKeys('lite-memory-test');

  it('sends one GET per scope for every send that asks while it is out, then answers from the cache', async () => {
    let clock = 0;
    const fake = fakeRedis();
    fake.store.set(keys.channelLiteRefused('c1', 'promo'), JSON.stringify({ code: '131055', reason: 'not eligible' }));
    const memory = createRedisLiteMemory({ redis: fake.redis, keys, channelId: 'c1', ttlMs: 60_000, now: () => clock });
    const asked = Promise.all(Array.from({ length: 50 }, () => memory.refusal('promo')));
    // The channel scope first, then (nothing found there) the template's.
    fake.answer();
    await Promise.resolve();
    await Promise.resolve();
    fake.answer();
    const answers = await asked;
    expect(fake.gets()).toBe(2);
    expect(new Set(answers.map((a) => a?.code))).toEqual(new Set(['131055']));
    expect((await memory.refusal('promo'))?.code).toBe('131055');
    expect(fake.gets()).toBe(2);
    // Expired: read again, once.
    clock += 2_001;
    const again = Promise.all([memory.refusal('promo'), memory.refusal('promo')]);
    for (let i = 0; i < 5; i++) {
      fake.answer();
      await Promise.resolve();
    }
    await again;
    expect(fake.gets()).toBe(4);
  });

  it('keeps a refusal remembered while a read was out', async () => {
    const fake = fakeRedis();
    const memory = createRedisLiteMemory({ redis: fake.redis, keys, channelId: 'c1', ttlMs: 60_000, now: () => 0 });
    const asked = memory.refusal('promo');
    await memory.remember(undefined, { code: '131055', reason: 'channel not onboarded' });
    fake.store.delete(keys.channelLiteRefused('c1', '*'));
    fake.answer();
    expect((await asked)?.code).toBe('131055');
  });
});
