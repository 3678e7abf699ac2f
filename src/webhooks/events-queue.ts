/**
 * The durable queue between the webhook endpoint (which only acknowledges) and the processor
 * (which applies). One job per received body.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Keys } from '../shared/keys.ts';
import type { WebhookJob } from './process-webhook.ts';

export const WEBHOOK_JOB_OPTIONS: JobsOptions = {
  // A status can arrive before the worker committed the send it is about: retry for ~30 s.
  attempts: 8,
  backoff: { type: 'exponential', delay: 250 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function createEventsQueue(connection: ConnectionOptions, keys: Keys): Queue<WebhookJob> {
  return new Queue<WebhookJob>(keys.eventsQueue, { connection, prefix: keys.queuePrefix, defaultJobOptions: WEBHOOK_JOB_OPTIONS });
}
