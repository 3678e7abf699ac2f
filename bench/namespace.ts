/**
 * Every benchmark scenario works in its own key namespace of the shared Redis, and removes it
 * afterwards: litecast's keys (`<ns>:*`) and Bottleneck's (`b_<ns>:*`).
 */
import { randomBytes } from 'node:crypto';
import { openRedisNodes, unlinkMatching } from './redis-nodes.ts';

/** Namespaces created by this process and not yet dropped, for the clean-up on a failed run. */
const live = new Set<string>();

/** Namespace → the Redis it lives on, for the clean-up on a failed run (the cluster, say). */
const where = new Map<string, string>();

/** A fresh namespace, e.g. `bench-rate-3f9a1c2b`; `redisUrl`: where it lives, when not the run's default Redis. */
export function newNamespace(label: string, redisUrl?: string): string {
  const ns = `bench-${label}-${randomBytes(4).toString('hex')}`;
  live.add(ns);
  if (redisUrl !== undefined) where.set(ns, redisUrl);
  return ns;
}

/**
 * Deletes every key of a namespace, on every server (every master of a cluster). UNLINK, not DEL:
 * a million-recipient campaign has hashes of a million fields, and freeing them must not block a
 * Redis other people's tests are using.
 */
export async function dropNamespace(redisUrl: string, namespace: string): Promise<number> {
  const servers = await openRedisNodes(redisUrl);
  let removed = 0;
  try {
    for (const pattern of [`${namespace}:*`, `b_${namespace}:*`]) removed += await unlinkMatching(servers.nodes, pattern);
    live.delete(namespace);
    where.delete(namespace);
  } finally {
    servers.close();
  }
  return removed;
}

/** Drops every namespace this process created and has not dropped yet (after a failure). */
export async function dropLiveNamespaces(redisUrl: string): Promise<void> {
  for (const ns of [...live]) await dropNamespace(where.get(ns) ?? redisUrl, ns).catch(() => undefined);
}
