/**
 * What CLI commands (and the API) share: the config, one Redis connection, the stores and the
 * batch queue. Built on demand, closed by the caller.
 */
import type { RedisClient as Redis } from './redis.ts';
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { createCampaignStore, type CampaignStore } from './campaign-store.ts';
import { createChannelStore, type ChannelStore } from './channel-store.ts';
import type { Config } from './config.ts';
import { createKeys, type Keys } from './keys.ts';
import { createLedger, type Ledger } from '../ledger/ledger.ts';
import { assertRedisReachable, createRedis, FAIL_FAST_OPTIONS } from './redis.ts';
import { createSecretBox } from './secret-box.ts';
import { createSendQueue, type BatchJobData } from './send-queue.ts';

export type AppContext = {
  config: Config;
  logger: Logger;
  redis: Redis;
  keys: Keys;
  channels: ChannelStore;
  campaigns: CampaignStore;
  ledger: Ledger;
  queue: Queue<BatchJobData>;
  close(): Promise<void>;
};

export type AppContextOptions = {
  /**
   * Fail commands at once while Redis is unreachable instead of queueing them until it is back.
   * The API wants this: a request must not take effect after its client has given up.
   */
  failFast?: boolean;
};

/** Connects to Redis (failing fast with how to start it) and builds the stores. */
export async function createAppContext(config: Config, logger: Logger, options: AppContextOptions = {}): Promise<AppContext> {
  await assertRedisReachable(config.redisUrl);
  const redis = createRedis(config.redisUrl, 'command', options.failFast ? FAIL_FAST_OPTIONS : {});
  redis.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
  // Without an offline queue, commands before the connection is ready would fail.
  if (options.failFast && redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const keys = createKeys(config.namespace);
  const queue = createSendQueue(redis, keys);
  return {
    config,
    logger,
    redis,
    keys,
    channels: createChannelStore(redis, keys, createSecretBox(config.secretKey), config.allowedBaseUrls),
    campaigns: createCampaignStore(redis, keys),
    ledger: createLedger(redis, keys),
    queue,
    async close() {
      await queue.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
