/**
 * The worker process's entry point: the app context (Redis, stores, ledger, batch queue) plus what
 * only a worker needs (a blocking connection for BullMQ, a subscriber for campaign control, the
 * channel limiters), wired into the send worker and the webhook events consumer. `close()` drains:
 * no new batches, waits stop, sends in flight finish and are committed, unfinished batches go back
 * to the queue.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { createAppContext } from '../shared/app-context.ts';
import type { Config } from '../shared/config.ts';
import { createMetrics, publishMetrics } from '../shared/metrics.ts';
import { createRedis } from '../shared/redis.ts';
import { createLedger } from '../ledger/ledger.ts';
import { createEventsConsumer } from '../webhooks/events-consumer.ts';
import { cutRateBlind } from './adaptive-rate.ts';
import { createSendSeries } from '../shared/send-series.ts';
import { rateLawFor } from './rate-control.ts';
import { createWebhookStore } from '../webhooks/webhook-store.ts';
import { createCampaignControl } from './campaign-control.ts';
import { createChannelAdmission } from './channel-admission.ts';
import { createChannelContexts } from './channel-contexts.ts';
import { createChannelLimiters } from './channel-limiter.ts';
import { createFairnessGate } from './fairness-gate.ts';
import { createSendWorker } from './send-worker.ts';

export type WorkerOptions = {
  config: Config;
  logger: Logger;
  /** Batches at once; defaults to the config. */
  concurrency?: number;
};

export type WorkerHandle = {
  /** Resolves once the BullMQ workers are connected and taking jobs; rejects when Redis is unreachable. */
  ready(): Promise<void>;
  /** Drains and closes everything; forces after `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
};

/** Starts a worker; connecting happens in the background, `ready()` says when it is done. */
export function startWorker(options: WorkerOptions): WorkerHandle {
  const started = launch(options);
  // The failure is reported by ready(); close() must not turn it into an unhandled rejection.
  started.catch(() => undefined);
  let closing: Promise<void> | undefined;
  return {
    ready: async () => (await started).ready(),
    close(timeoutMs = 20_000) {
      closing ??= started.then(
        (worker) => worker.close(timeoutMs),
        () => undefined,
      );
      return closing;
    },
  };
}

async function launch(options: WorkerOptions): Promise<WorkerHandle> {
  const { config, logger } = options;
  const ctx = await createAppContext(config, logger);
  const { redis, keys } = ctx;
  // Pub/sub and BullMQ's blocking commands each need a connection of their own.
  const subscriber = createRedis(config.redisUrl, 'command');
  const bullConnection = createRedis(config.redisUrl, 'blocking');
  // The hot path's commands (claims, commits, wamids, webhook batches) on an auto-pipelining
  // connection: everything asked for in one event-loop turn leaves in one write, where each command
  // used to cost a socket write of its own (a quarter of the workers' CPU in the profile).
  const fast = createRedis(config.redisUrl, 'command', { enableAutoPipelining: true });
  for (const connection of [subscriber, bullConnection, fast]) connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const metrics = createMetrics();
  const publisher = publishMetrics(redis, keys, metrics, 'worker');
  const series = createSendSeries({ redis, keys, onError: (error) => logger.warn({ err: error }, 'send series flush failed') });
  const limiters = createChannelLimiters({ redis, keys, margin: config.rateMargin, logger });
  const contexts = createChannelContexts({ config, redis, keys, channels: ctx.channels, limiters, metrics, logger });
  const control = createCampaignControl({ redis, subscriber, keys, logger });
  const shutdown = new AbortController();
  // Every batch in progress listens to this; the default limit of 10 is about leaks, not this.
  setMaxListeners(0, shutdown.signal);

  const sender = createSendWorker({
    config,
    logger,
    redis: fast,
    connection: bullConnection,
    keys,
    campaigns: ctx.campaigns,
    ledger: createLedger(fast, keys),
    queue: ctx.queue,
    contexts,
    fairness: createFairnessGate({
      admission: createChannelAdmission(redis, keys, config.jobLockMs * 2),
      parallelism: config.batchParallelism,
      slotsPerWorker: options.concurrency ?? config.workerConcurrency,
    }),
    control,
    metrics,
    shutdown: shutdown.signal,
    concurrency: options.concurrency ?? config.workerConcurrency,
    series,
  });
  // A webhook's 130429 lowers the channel's shared rate (blind: the webhook says nothing of how much).
  const onThrottleSignal = async (channelId: string) => {
    const channel = (await ctx.channels.list()).find((c) => c.id === channelId);
    if (channel) await cutRateBlind(redis, keys, channelId, rateLawFor(channel.mps, config.rateMargin));
  };
  const events = createEventsConsumer({ redis: fast, keys, webhooks: createWebhookStore(fast, keys), channels: ctx.channels, metrics, logger, claimIdleMs: config.webhookClaimIdleMs, onThrottleSignal });

  return {
    ready: () => Promise.all([sender.ready(), events.ready()]).then(() => undefined),
    async close(timeoutMs = 20_000) {
      const force = setTimeout(() => {
        logger.warn('drain timed out; closing without waiting for in-flight batches');
        void sender.close(true);
      }, timeoutMs);
      force.unref();
      // Stop waiting for limiter slots and retries; requests already posted finish and commit.
      shutdown.abort('shutdown');
      await Promise.all([sender.close(), events.close()]);
      clearTimeout(force);
      await publisher.stop();
      await series.close();
      await limiters.close();
      await control.close();
      contexts.close();
      await Promise.allSettled([subscriber.quit(), bullConnection.quit(), fast.quit()]);
      await ctx.close();
    },
  };
}
