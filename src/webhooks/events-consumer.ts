/**
 * Applies queued webhook bodies to the counters, in the worker process, next to the sends they
 * are about; the API only acknowledged and queued them. A status that arrives before its send was
 * committed fails the job, and the queue's backoff retries it (events-queue.ts).
 */
import { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { ChannelStore } from '../shared/channel-store.ts';
import type { Keys } from '../shared/keys.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import { processWebhook, type ChannelResolver, type WebhookJob } from './process-webhook.ts';
import type { WebhookStore } from './webhook-store.ts';

export type EventsConsumerDeps = {
  /** A blocking connection (BullMQ workers wait on it). */
  connection: Redis;
  keys: Keys;
  webhooks: WebhookStore;
  channels: Pick<ChannelStore, 'list'>;
  metrics: Metrics;
  logger: Logger;
  /** Webhook bodies applied at once. */
  concurrency?: number;
};

export type EventsConsumer = {
  /** Resolves once the consumer is connected and taking jobs. */
  ready(): Promise<void>;
  /** Finishes the bodies being applied, then stops. */
  close(): Promise<void>;
};

/** Starts consuming the webhook events queue. */
export function createEventsConsumer(deps: EventsConsumerDeps): EventsConsumer {
  const { metrics } = deps;
  // Cloud API statuses name the number by its phone_number_id; callback data names the campaign.
  const resolveChannel: ChannelResolver = async (phoneNumberId) =>
    phoneNumberId ? (await deps.channels.list()).find((c) => c.phoneNumberId === phoneNumberId)?.id : undefined;
  const worker = new Worker<WebhookJob>(
    deps.keys.eventsQueue,
    async (job) => {
      const outcome = await processWebhook(deps.webhooks, job.data, resolveChannel);
      for (const [type, n] of Object.entries(outcome.byKind)) metrics.webhookEvents.inc({ type, stage: 'applied' }, n);
      if (outcome.notYet > 0) throw new Error(`${outcome.notYet} event(s) arrived before their send was committed; retrying`);
      metrics.webhookLag.observe((Date.now() - job.data.receivedAt) / 1000);
      return outcome;
    },
    { connection: deps.connection, prefix: deps.keys.queuePrefix, concurrency: deps.concurrency ?? 8 },
  );
  worker.on('error', (error) => deps.logger.error({ err: error }, 'events worker error'));
  return {
    ready: () => worker.waitUntilReady().then(() => undefined),
    close: () => worker.close(),
  };
}
