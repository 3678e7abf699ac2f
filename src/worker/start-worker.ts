/**
 * Wires a worker process: a BullMQ worker over the batch queue, the ledger, the per-channel
 * clients and limiters, and campaign control. `close()` drains: no new batches, waits stop, sends
 * in flight finish and are committed, unfinished batches go back to the queue.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { createDialogClient, type DialogClient } from '../dialog360/client.ts';
import type { LiteEligibilityMemory } from '../dialog360/lite-eligibility-memory.ts';
import { sendMessage, type SendPolicy } from '../dialog360/send-message.ts';
import { requeueParked } from '../producer/campaign-actions.ts';
import { createCampaignStore } from '../shared/campaign-store.ts';
import type { Campaign } from '../shared/campaign.ts';
import { createChannelStore, type Channel } from '../shared/channel-store.ts';
import type { Config } from '../shared/config.ts';
import { isLitecastError } from '../shared/errors.ts';
import { createKeys } from '../shared/keys.ts';
import { createLedger } from '../ledger/ledger.ts';
import { createRedis } from '../shared/redis.ts';
import { createSecretBox } from '../shared/secret-box.ts';
import { createSendQueue, type BatchJobData } from '../shared/send-queue.ts';
import { createCampaignControl } from './campaign-control.ts';
import { needsStart, SENDING_STATES } from '../shared/campaign-lifecycle.ts';
import { createChannelLimiters, type ChannelLimiter } from './channel-limiter.ts';
import { processBatch, type BatchPorts, type BatchStatus } from './process-batch.ts';
import { createRedisLiteMemory } from './redis-lite-memory.ts';
import { batchesPerChannel, createChannelAdmission } from './channel-admission.ts';
import { createChannelBreaker } from './channel-breaker.ts';
import { createMetrics, publishMetrics, type Metrics } from '../shared/metrics.ts';
import { createWebhookStore } from '../webhooks/webhook-store.ts';
import { processWebhook, type WebhookJob } from '../webhooks/process-webhook.ts';
import type { SendResult } from '../dialog360/send-message.ts';

export type WorkerOptions = {
  config: Config;
  logger: Logger;
  /** Batches at once; defaults to the config. */
  concurrency?: number;
};

export type WorkerHandle = {
  /** Resolves once the BullMQ worker is connected and taking jobs. */
  ready(): Promise<void>;
  /** Drains and closes everything; forces after `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
};

type ChannelContext = { channel: Channel; sealedKey: string; client: DialogClient; limiter: ChannelLimiter; liteMemory: LiteEligibilityMemory };

/**
 * Wraps a client so every request's duration lands in the histogram, and a run of network
 * failures (360dialog unreachable) cools the whole channel down.
 */
function instrumentClient(client: DialogClient, metrics: Metrics, onOutage: (coolDownMs: number) => void): DialogClient {
  const breaker = createChannelBreaker();
  return {
    ...client,
    async send(route, payload) {
      const end = metrics.requestDuration.startTimer({ route });
      const response = await client.send(route, payload);
      end({ result: response.kind === 'accepted' ? 'accepted' : response.kind === 'rejected' ? `http_${response.status}` : response.kind });
      const coolDownMs = breaker.record(response);
      if (coolDownMs > 0) onOutage(coolDownMs);
      return response;
    },
  };
}

/** Counts one finished send by outcome, error code and fallback. */
function recordSend(metrics: Metrics, channelId: string, result: SendResult): void {
  metrics.messages.inc({ channel: channelId, route: result.route, outcome: result.status });
  if (result.verdict && result.status !== 'sent') metrics.sendErrors.inc({ code: result.verdict.code, class: result.verdict.class });
  if (result.fellBack && result.fallback) metrics.fallbacks.inc({ channel: channelId, code: result.fallback.code });
}

/** How long wamid → recipient mappings are kept for webhooks: Meta retries webhooks up to 7 days. */
const WAMID_TTL_SECONDS = 8 * 24 * 3600;

export function startWorker(options: WorkerOptions): WorkerHandle {
  const { config, logger } = options;
  const keys = createKeys(config.namespace);
  const redis = createRedis(config.redisUrl, 'command');
  const subscriber = createRedis(config.redisUrl, 'command');
  const bullConnection = createRedis(config.redisUrl, 'blocking');
  const box = createSecretBox(config.secretKey);
  const campaigns = createCampaignStore(redis, keys);
  const channels = createChannelStore(redis, keys, box);
  const ledger = createLedger(redis, keys);
  const queue = createSendQueue(redis, keys);
  const limiters = createChannelLimiters({ redis, keys, margin: config.rateMargin, logger });
  const control = createCampaignControl({ redis, subscriber, keys, logger });
  const metrics = createMetrics();
  const publisher = publishMetrics(redis, keys, metrics, 'worker');
  const webhooks = createWebhookStore(redis, keys);
  const admission = createChannelAdmission(redis, keys, config.jobLockMs * 2);
  const shutdown = new AbortController();
  // Every batch in progress listens to these; the default limit of 10 is about leaks, not this.
  setMaxListeners(0, shutdown.signal);
  const contexts = new Map<string, ChannelContext>();
  for (const connection of [redis, subscriber, bullConnection]) connection.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));

  const policy: Omit<SendPolicy, 'signal' | 'deadline'> = {
    maxAttempts: config.sendMaxAttempts,
    baseDelayMs: config.retryBaseMs,
    maxDelayMs: config.retryMaxMs,
    onAmbiguousTimeout: config.onAmbiguousTimeout,
  };

  /** The channel's client and limiter, rebuilt when the channel (or its key) changed. */
  async function channelContext(channelId: string): Promise<ChannelContext> {
    const { channel, sealedKey } = await channels.loadSealed(channelId);
    const cached = contexts.get(channelId);
    if (cached && cached.sealedKey === sealedKey && cached.channel.baseUrl === channel.baseUrl && cached.channel.mps === channel.mps) return cached;
    cached?.client.close();
    const limiter = limiters.forChannel(channel);
    const client = instrumentClient(createDialogClient({ baseUrl: channel.baseUrl, apiKey: box.open(sealedKey), timeoutMs: config.httpTimeoutMs }), metrics, (coolDownMs) => {
      logger.warn({ channel: channelId, coolDownMs }, '360dialog unreachable for this channel: cooling down');
      void limiter.coolDown(coolDownMs).catch(() => undefined);
    });
    const context: ChannelContext = {
      channel,
      sealedKey,
      client,
      limiter,
      liteMemory: createRedisLiteMemory({ redis, keys, channelId, ttlMs: config.liteReprobeSeconds * 1000 }),
    };
    contexts.set(channelId, context);
    return context;
  }

  async function pauseQuietly(campaignId: string, reason: string): Promise<void> {
    try {
      await campaigns.transition(campaignId, 'pause', reason);
    } catch (error) {
      // Another worker paused it first, or the user cancelled it: either way it is stopped.
      if (!isLitecastError(error) || error.code !== 'LITECAST_ERR_INVALID_STATE') throw error;
    }
  }

  function portsFor(context: ChannelContext): BatchPorts {
    return {
      ledger,
      logger,
      now: Date.now,
      newToken: () => randomBytes(8).toString('base64url'),
      async suppressed(channelId, phones) {
        const flags = await redis.smismember(keys.channelSuppressed(channelId), ...phones);
        return flags.map((flag) => flag === 1);
      },
      async send(message, route, { signal, deadline, claim }) {
        const result = await sendMessage(
          {
            claim,
            client: context.client,
            acquire: async () => {
              const end = metrics.limiterWait.startTimer({ channel: context.channel.id });
              await context.limiter.acquire(signal);
              end();
            },
            onThrottle: (verdict) => context.limiter.coolDown(verdict.waitMs ?? 1_000),
            liteMemory: context.liteMemory,
          },
          { ...policy, signal, deadline },
          message,
          route,
        );
        recordSend(metrics, context.channel.id, result);
        return result;
      },
      pause: pauseQuietly,
      async recordWamid(wamid, campaignId, phone) {
        if (wamid) await redis.set(keys.wamid(wamid), `${campaignId}:${phone}`, 'EX', WAMID_TTL_SECONDS);
      },
    };
  }

  async function processJob(job: Job<BatchJobData>, token?: string): Promise<{ status: BatchStatus | 'missing' }> {
    const { campaignId, batchIndex } = job.data;
    let campaign = await campaigns.get(campaignId);
    if (!campaign) return { status: 'missing' };
    if (campaign.state === 'completed') return { status: 'done' };
    if (needsStart(campaign.state)) {
      await campaigns.transition(campaignId, 'start').catch(() => undefined);
      campaign = (await campaigns.get(campaignId)) ?? campaign;
    }
    let context: ChannelContext;
    try {
      context = await channelContext(campaign.channelId);
    } catch (error) {
      if (!isLitecastError(error)) throw error;
      // A removed channel or an unreadable key is the user's to fix: pause, don't burn the list.
      await pauseQuietly(campaignId, `${error.code}: ${error.message}`);
      await campaigns.park(campaignId, batchIndex);
      return { status: 'parked' };
    }
    const current = campaign;
    // A paused or cancelled campaign's batch only parks or closes out: it needs no send slot.
    if (!SENDING_STATES.has(current.state)) return runBatch(job, token, current, context);
    // Fairness: if this channel already has its share of batches running, step aside for a
    // moment so other channels' batches get the worker slots.
    const lease = job.id ?? `${campaignId}-${batchIndex}`;
    if (!(await admission.admit(current.channelId, lease, batchesPerChannel(context.channel.mps, config.batchParallelism)))) {
      const batchSeconds = current.batchSize / context.channel.mps;
      await job.moveToDelayed(Date.now() + Math.min(5_000, 100 + batchSeconds * 500 * (1 + Math.random())), token);
      throw new DelayedError();
    }
    const renew = setInterval(() => void admission.renew(current.channelId, lease).catch(() => undefined), config.jobLockMs / 2);
    try {
      return await runBatch(job, token, current, context);
    } finally {
      clearInterval(renew);
      await admission.release(current.channelId, lease).catch(() => undefined);
    }
  }

  async function runBatch(job: Job<BatchJobData>, token: string | undefined, campaign: Campaign, context: ChannelContext): Promise<{ status: BatchStatus }> {
    const { campaignId, batchIndex } = job.data;
    const recipients = await campaigns.loadBatch(campaignId, batchIndex);
    const watch = control.watch(campaignId, campaign.state);
    const signal = AbortSignal.any([watch.signal, shutdown.signal]);
    // Every message in flight listens to this signal (retry waits, limiter waits).
    setMaxListeners(config.batchParallelism * 4 + 10, signal);
    let status: BatchStatus;
    try {
      status = await processBatch(portsFor(context), campaign, recipients, {
        parallelism: config.batchParallelism,
        signal,
        campaignState: watch.state,
      });
    } finally {
      watch.release();
    }
    if (status === 'parked') {
      await campaigns.park(campaignId, batchIndex);
      // A resume may have run between our pause and the park: then nobody would pick the batch up.
      const state = (await campaigns.get(campaignId))?.state;
      if (state && SENDING_STATES.has(state)) await requeueParked({ campaigns, queue }, campaignId);
    } else if (status === 'interrupted') {
      // Shutting down: put the batch back without using up an attempt; another worker resumes it.
      await job.moveToDelayed(Date.now() + 100, token);
      throw new DelayedError();
    }
    logger.debug({ campaign: campaignId, batch: batchIndex, status }, 'batch finished');
    return { status };
  }

  const worker = new Worker<BatchJobData>(keys.sendQueue, processJob, {
    connection: bullConnection,
    prefix: keys.queuePrefix,
    concurrency: options.concurrency ?? config.workerConcurrency,
    lockDuration: config.jobLockMs,
    stalledInterval: Math.max(1_000, Math.floor(config.jobLockMs / 2)),
    // Batches are idempotent (the ledger skips what is done), so a batch may stall many times
    // (worker crashes) without being failed for it.
    maxStalledCount: 1_000,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));

  // Webhook events: applied here, next to the sends they are about; acknowledged by the API.
  const resolveChannel = async (phoneNumberId: string | undefined) =>
    phoneNumberId ? (await channels.list()).find((c) => c.phoneNumberId === phoneNumberId)?.id : undefined;
  const eventsWorker = new Worker<WebhookJob>(
    keys.eventsQueue,
    async (job) => {
      const outcome = await processWebhook(webhooks, job.data, resolveChannel);
      for (const [type, n] of Object.entries(outcome.byKind)) metrics.webhookEvents.inc({ type, stage: 'applied' }, n);
      if (outcome.notYet > 0) throw new Error(`${outcome.notYet} event(s) arrived before their send was committed; retrying`);
      metrics.webhookLag.observe((Date.now() - job.data.receivedAt) / 1000);
      return outcome;
    },
    { connection: bullConnection, prefix: keys.queuePrefix, concurrency: 8 },
  );
  eventsWorker.on('error', (error) => logger.error({ err: error }, 'events worker error'));
  worker.on('failed', (job, error) => logger.warn({ err: error, job: job?.id }, 'batch failed; it will be retried'));

  let closing: Promise<void> | undefined;
  return {
    ready: () => Promise.all([worker.waitUntilReady(), eventsWorker.waitUntilReady()]).then(() => undefined),
    close(timeoutMs = 20_000) {
      closing ??= (async () => {
        const force = setTimeout(() => {
          logger.warn('drain timed out; closing without waiting for in-flight batches');
          void worker.close(true);
        }, timeoutMs);
        force.unref();
        // Stop waiting for limiter slots and retries; requests already posted finish and commit.
        shutdown.abort('shutdown');
        await Promise.all([worker.close(), eventsWorker.close()]);
        clearTimeout(force);
        await publisher.stop();
        await limiters.close();
        await control.close();
        await queue.close();
        for (const context of contexts.values()) context.client.close();
        await Promise.allSettled([redis.quit(), subscriber.quit(), bullConnection.quit()]);
      })();
      return closing;
    },
  };
}
