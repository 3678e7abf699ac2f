/**
 * Redis connections. Every part of litecast gets its connections from here, so timeouts, retry
 * behaviour and the "Redis is not running" message are decided once.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { LitecastError } from './errors.ts';

export type RedisRole =
  /** Blocking BullMQ worker connections: commands must wait for Redis to come back, never fail fast. */
  | 'blocking'
  /** Everything else: ledger, counters, limiter, API reads. */
  | 'command';

/** Creates an ioredis connection for the given role. The caller owns it and must `quit()` it. */
export function createRedis(url: string, role: RedisRole = 'command', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    // BullMQ requires null for workers; for commands too we prefer waiting through a Redis restart
    // to failing a send half-way (invariant 2: an outage delays, it does not drop).
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: `litecast-${role}`,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 3_000),
    ...extra,
  });
}

/** How to start Redis, for every "not reachable" message. */
export const START_REDIS_HINT =
  'Start one with `docker compose up -d redis`, or install and run the Debian package: `sudo apt-get install -y redis-server && redis-server --daemonize yes`; or point REDIS_URL at a running Redis.';

/**
 * Fails fast with a clear error when nothing answers at `url`, instead of hanging in ioredis's
 * reconnect loop. Used by entry points before they start real work.
 */
export async function assertRedisReachable(url: string, timeoutMs = 2_000): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
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
