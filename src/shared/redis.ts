/**
 * Redis connections. Every part of litecast gets its connections from here, so timeouts, retry
 * behaviour, Redis Cluster support and the "Redis is not running" message are decided once.
 *
 * `REDIS_URL` is either a single server (`redis://host:port/db`, `rediss://…`) or a cluster:
 * `redis+cluster://[user:password@]host:port,host:port,…` (any reachable nodes; the rest are
 * discovered). Every key litecast, BullMQ and Bottleneck use carries a `{hash tag}`, so the keys a
 * script touches together live in one slot.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { LitecastError } from './errors.ts';

/** A connection to a single Redis or to a Redis Cluster; both speak the same commands. */
export type RedisClient = Redis;

export type RedisRole =
  /** Blocking BullMQ worker connections: commands must wait for Redis to come back, never fail fast. */
  | 'blocking'
  /** Everything else: ledger, counters, limiter, API reads. */
  | 'command';

const CLUSTER_SCHEME = 'redis+cluster://';

export type ParsedRedisUrl =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }>; username?: string; password?: string; tls: boolean };

/** Reads a REDIS_URL; throws a clear error for a malformed cluster URL. */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  if (!url.startsWith(CLUSTER_SCHEME) && !url.startsWith('rediss+cluster://')) return { kind: 'single', url };
  const tls = url.startsWith('rediss+cluster://');
  let rest = url.slice(url.indexOf('://') + 3).replace(/\/.*$/, '');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    username = colon >= 0 ? decodeURIComponent(auth.slice(0, colon)) || undefined : undefined;
    password = decodeURIComponent(colon >= 0 ? auth.slice(colon + 1) : auth);
  }
  const nodes = rest.split(',').map((node) => {
    const [host, port] = node.trim().split(':');
    const n = Number(port ?? 6379);
    if (!host || !Number.isInteger(n) || n <= 0 || n > 65535) {
      throw new LitecastError('LITECAST_ERR_CONFIG', `REDIS_URL: "${node}" is not host:port; write a cluster as redis+cluster://host:port,host:port`);
    }
    return { host, port: n };
  });
  return { kind: 'cluster', nodes, tls, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function commonOptions(role: RedisRole): RedisOptions {
  return {
    // BullMQ requires null for workers; for commands too we prefer waiting through a Redis restart
    // to failing a send half-way (invariant 2: an outage delays, it does not drop).
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: `litecast-${role}`,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 3_000),
  };
}

/**
 * A connection that fails commands at once while Redis is unreachable instead of queueing them
 * until it is back: the API wants this, as a request must not take effect after its client gave up.
 */
export const FAIL_FAST_OPTIONS: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false };

/** Creates a connection for the given role. The caller owns it and must `quit()` it. */
export function createRedis(url: string, role: RedisRole = 'command', extra: RedisOptions = {}): RedisClient {
  const parsed = parseRedisUrl(url);
  if (parsed.kind === 'single') return new Redis(url, { ...commonOptions(role), ...extra });
  const options: ClusterOptions = {
    redisOptions: {
      ...commonOptions(role),
      ...(parsed.username ? { username: parsed.username } : {}),
      ...(parsed.password ? { password: parsed.password } : {}),
      ...(parsed.tls ? { tls: {} } : {}),
      ...extra,
    },
    enableReadyCheck: true,
    // A fail-fast connection (the API) must not queue at the cluster level either.
    ...(extra.enableOfflineQueue === false ? { enableOfflineQueue: false } : {}),
    // Auto-pipelining is a cluster-level option (it groups commands per node).
    ...(extra.enableAutoPipelining ? { enableAutoPipelining: true } : {}),
    clusterRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 3_000),
  };
  // ioredis's Cluster speaks the same commands as Redis; the cast keeps one client type everywhere.
  return new Cluster(parsed.nodes, options) as unknown as RedisClient;
}

/** How to start Redis, for every "not reachable" message. */
export const START_REDIS_HINT =
  'Start one with `docker compose up -d redis`, or install and run the Debian package: `sudo apt-get install -y redis-server && redis-server --daemonize yes`; or point REDIS_URL at a running Redis.';

/**
 * Fails fast with a clear error when nothing answers at `url`, instead of hanging in ioredis's
 * reconnect loop. Used by entry points before they start real work.
 */
export async function assertRedisReachable(url: string, timeoutMs = 2_000): Promise<void> {
  const parsed = parseRedisUrl(url);
  const probeUrl = parsed.kind === 'single' ? url : `redis://${parsed.nodes[0]?.host}:${parsed.nodes[0]?.port}`;
  const probe = new Redis(probeUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    ...(parsed.kind === 'cluster' && parsed.password ? { password: parsed.password } : {}),
    ...(parsed.kind === 'cluster' && parsed.username ? { username: parsed.username } : {}),
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new LitecastError(
      'LITECAST_ERR_REDIS_UNREACHABLE',
      `Redis is not reachable at ${redactRedisUrl(url)} (${(error as Error).message}). ${START_REDIS_HINT}`,
      undefined,
      { cause: error },
    );
  } finally {
    probe.disconnect();
  }
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_m, auth: string) => (auth.includes(':') ? '//***@' : `//${auth}@`));
}
