/**
 * Every benchmark scenario works in its own key namespace of the shared Redis, and removes it
 * afterwards: litecast's keys (`<ns>:*`) and Bottleneck's (`b_<ns>:*`).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** Namespaces created by this process and not yet dropped, for the clean-up on a failed run. */
const live = new Set<string>();

/** A fresh namespace, e.g. `bench-rate-3f9a1c2b`. */
export function newNamespace(label: string): string {
  const ns = `bench-${label}-${randomBytes(4).toString('hex')}`;
  live.add(ns);
  return ns;
}

/**
 * Deletes every key of a namespace. UNLINK, not DEL: a million-recipient campaign has hashes of a
 * million fields, and freeing them must not block a Redis other people's tests are using.
 */
export async function dropNamespace(redisUrl: string, namespace: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let removed = 0;
  try {
    for (const pattern of [`${namespace}:*`, `b_${namespace}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2_000);
        cursor = next;
        if (keys.length > 0) removed += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
    live.delete(namespace);
  } finally {
    redis.disconnect();
  }
  return removed;
}

/** Drops every namespace this process created and has not dropped yet (after a failure). */
export async function dropLiveNamespaces(redisUrl: string): Promise<void> {
  for (const ns of [...live]) await dropNamespace(redisUrl, ns).catch(() => undefined);
}
