/**
 * The Redis servers behind a REDIS_URL, one plain connection each: the server itself for
 * `redis://…`, every master for `redis+cluster://…`. The benchmark needs them where a cluster
 * client cannot help: SCAN runs per server, and `INFO` (CPU, commands) is per server too.
 */
import { Cluster, Redis } from 'ioredis';
import { parseRedisUrl } from '../src/shared/redis.ts';
import { parseInfo } from './redis-stats.ts';

export type RedisNodes = {
  /** One connection per server (per master on a cluster). */
  nodes: Redis[];
  kind: 'single' | 'cluster';
  close(): void;
};

export async function openRedisNodes(url: string): Promise<RedisNodes> {
  const parsed = parseRedisUrl(url);
  if (parsed.kind === 'single') {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    return { nodes: [redis], kind: 'single', close: () => redis.disconnect() };
  }
  const auth = { ...(parsed.username ? { username: parsed.username } : {}), ...(parsed.password ? { password: parsed.password } : {}), ...(parsed.tls ? { tls: {} } : {}) };
  const cluster = new Cluster(parsed.nodes, { redisOptions: { maxRetriesPerRequest: 1, ...auth }, clusterRetryStrategy: (times) => (times > 3 ? null : 200) });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis Cluster at ${parsed.nodes.map((n) => `${n.host}:${n.port}`).join(',')} not ready after 10 s`)), 10_000);
      cluster.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      cluster.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    cluster.disconnect();
    throw error;
  }
  // Own connections to each master, so INFO and SCAN go exactly there.
  const masters = cluster.nodes('master').map((n) => new Redis({ host: n.options.host, port: n.options.port, maxRetriesPerRequest: 1, ...auth }));
  cluster.disconnect();
  return { nodes: masters, kind: 'cluster', close: () => masters.forEach((m) => m.disconnect()) };
}

/** CPU seconds (user + sys) and commands processed, summed over the servers. */
export async function serverTotals(nodes: readonly Redis[]): Promise<{ cpuSeconds: number; commands: number }> {
  let cpuSeconds = 0;
  let commands = 0;
  for (const node of nodes) {
    const cpu = parseInfo(await node.info('cpu'));
    const stats = parseInfo(await node.info('stats'));
    cpuSeconds += Number(cpu.used_cpu_user ?? 0) + Number(cpu.used_cpu_sys ?? 0);
    commands += Number(stats.total_commands_processed ?? 0);
  }
  return { cpuSeconds, commands };
}

/** Unlinks every key matching `pattern` on every server; returns how many were removed. */
export async function unlinkMatching(nodes: readonly Redis[], pattern: string): Promise<number> {
  let removed = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 2_000);
      cursor = next;
      if (keys.length === 0) continue;
      // One key per UNLINK: on a cluster, keys of different slots cannot share a command.
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.unlink(key);
      for (const [error, n] of (await pipeline.exec()) ?? []) if (!error) removed += Number(n);
    } while (cursor !== '0');
  }
  return removed;
}
