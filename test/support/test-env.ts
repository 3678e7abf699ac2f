/**
 * Isolation for integration tests: each test gets its own namespace (key prefix) in the shared
 * Redis, and removes its keys afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/shared/config.ts';
import { createRedis } from '../../src/shared/redis.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A config with a fresh namespace; `env` entries override defaults. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL,
    LITECAST_NAMESPACE: `t${randomBytes(5).toString('hex')}`,
    LOG_LEVEL: 'silent',
    LITECAST_RETRY_BASE_MS: '20',
    LITECAST_RETRY_MAX_MS: '200',
    LITECAST_HTTP_TIMEOUT_MS: '2000',
    ...env,
  });
}

/** The environment for a child process using the same settings as `config`. */
export function childEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    REDIS_URL: config.redisUrl,
    LITECAST_NAMESPACE: config.namespace,
    LOG_LEVEL: 'info',
    LITECAST_RETRY_BASE_MS: String(config.retryBaseMs),
    LITECAST_RETRY_MAX_MS: String(config.retryMaxMs),
    LITECAST_HTTP_TIMEOUT_MS: String(config.httpTimeoutMs),
    ...(config.secretKey ? { LITECAST_SECRET_KEY: config.secretKey } : {}),
    ...extra,
  };
}

/** Deletes every key of a namespace (ours and Bottleneck's), on every master of a cluster. */
export async function dropNamespace(namespace: string): Promise<void> {
  const client = createRedis(REDIS_URL) as unknown as Redis | Cluster;
  try {
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
    const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
    for (const node of nodes) {
      for (const pattern of [`${namespace}:*`, `b_${namespace}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          // One key per DEL: on a cluster the keys of one scan page live in different slots.
          if (keys.length > 0) await Promise.all(keys.map((key) => node.del(key)));
        } while (cursor !== '0');
      }
    }
  } finally {
    client.disconnect();
  }
}
