/**
 * The send worker: a BullMQ worker over the batch queue and its job policy. A job is one batch of
 * one campaign: a finished or missing campaign's batch is done; a scheduled campaign starts; a
 * batch whose channel is gone parks the campaign; a batch whose channel already has its share of
 * batches running steps aside (the fairness gate); otherwise the batch runs through processBatch
 * with the channel's client and limiter, and parks, finishes, or goes back to the queue on
 * shutdown.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { DelayedError, Worker, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { sendMessage, type SendPolicy, type SendResult } from '../dialog360/send-message.ts';
import { isSlowThrottle } from '../dialog360/retry-policy.ts';
import { requeueParked } from '../producer/campaign-actions.ts';
import type { CampaignStore } from '../shared/campaign-store.ts';
import type { Campaign } from '../shared/campaign.ts';
import type { Config } from '../shared/config.ts';
import { isLitecastError } from '../shared/errors.ts';
import type { Keys } from '../shared/keys.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { createLedgerBatcher } from './ledger-batcher.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import { createSuppressionStore } from '../shared/suppression-store.ts';
import type { BatchJobData } from '../shared/send-queue.ts';
import type { CampaignControl } from './campaign-control.ts';
import { needsStart, SENDING_STATES } from '../shared/campaign-lifecycle.ts';
import type { FairnessGate } from './fairness-gate.ts';
import type { ChannelContext, ChannelContexts } from './channel-contexts.ts';
import { processBatch, type BatchPorts, type BatchStatus } from './process-batch.ts';
import { createFrequencyCapStore } from './frequency-cap-store.ts';
import { createPriorityAging } from './priority-aging.ts';
import { windowOpeningFor } from './window-gate.ts';
import { parseFrequencyCap } from '../shared/frequency-cap.ts';
import { DEFAULT_PRIORITY_AGING_MS } from '../shared/batch-priority.ts';
import { lanesPerBatch } from './channel-admission.ts';
import { inFlightBudget } from './rate-control.ts';
import type { SendSeries } from '../shared/send-series.ts';

export type SendWorkerDeps = {
  config: Config;
  logger: Logger;
  /** Commands (suppression lookups, wamid mappings). */
  redis: Redis;
  /** A blocking connection for the BullMQ worker. */
  connection: Redis;
  keys: Keys;
  campaigns: CampaignStore;
  ledger: Ledger;
  queue: Queue<BatchJobData>;
  contexts: ChannelContexts;
  /** How many batches of one channel run at once, across workers. */
  fairness: FairnessGate;
  control: CampaignControl;
  metrics: Metrics;
  /** Fires on shutdown: limiter waits and retry waits stop; requests already posted finish. */
  shutdown: AbortSignal;
  /** Batches at once. */
  concurrency: number;
  /** How long a ready batch waits before its priority moves up one level (batch-priority.ts). */
  priorityAgingMs?: number;
  /** Sends per second per campaign, for the report's pacing chart. */
  series?: SendSeries;
};

export type SendWorker = {
  ready(): Promise<void>;
  /** Stops taking batches and waits for the running ones; `force` stops without waiting. */
  close(force?: boolean): Promise<void>;
};

/** How long wamid → recipient mappings are kept for webhooks: Meta retries webhooks up to 7 days. */
const WAMID_TTL_SECONDS = 8 * 24 * 3600;

/** In-flight budget over rate × p95 latency: answers vary, and lanes also wait for their slot. */
const IN_FLIGHT_HEADROOM = 1.5;

/** Counts one finished send by outcome, error code and fallback. */
function recordSend(metrics: Metrics, channelId: string, result: SendResult): void {
  metrics.messages.inc({ channel: channelId, route: result.route, outcome: result.status });
  if (result.verdict && result.status !== 'sent') metrics.sendErrors.inc({ code: result.verdict.code, class: result.verdict.class });
  if (result.fellBack && result.fallback) metrics.fallbacks.inc({ channel: channelId, code: result.fallback.code });
}

/** Starts the BullMQ worker that sends the queued batches. */
export function createSendWorker(deps: SendWorkerDeps): SendWorker {
  const { config, logger, campaigns, keys, metrics } = deps;
  const suppression = createSuppressionStore(deps.redis, keys);
  const policy: Omit<SendPolicy, 'signal' | 'deadline'> = {
    maxAttempts: config.sendMaxAttempts,
    baseDelayMs: config.retryBaseMs,
    maxDelayMs: config.retryMaxMs,
    onAmbiguousTimeout: config.onAmbiguousTimeout,
  };

  async function pauseQuietly(campaignId: string, reason: string): Promise<void> {
    try {
      await campaigns.transition(campaignId, 'pause', reason);
    } catch (error) {
      // Another worker paused it first, or the user cancelled it: either way it is stopped.
      if (!isLitecastError(error) || error.code !== 'LITECAST_ERR_INVALID_STATE') throw error;
    }
  }

  // One per worker process: claims and commits of every batch running here share a flush.
  const ledger = createLedgerBatcher(deps.ledger);

  function portsFor(context: ChannelContext, campaignId: string): BatchPorts {
    return {
      ledger,
      logger,
      now: Date.now,
      newToken: () => randomBytes(8).toString('base64url'),
      ...(context.channel.frequencyCap ? { frequencyCap: createFrequencyCapStore(deps.redis, keys, context.channel.id, parseFrequencyCap(context.channel.frequencyCap)) } : {}),
      suppressed: (channelId, phones) => suppression.suppressed(channelId, phones),
      async noteAccepted(campaign, phone, result) {
        if (result.contact) await suppression.learn(campaign.channelId, phone, result.contact);
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
            // Only the signals that mean stop stop the channel; the others lower its adaptive rate.
            onThrottle: (verdict) =>
              isSlowThrottle(verdict) ? context.limiter.throttled() : context.limiter.coolDown(verdict.waitMs ?? 1_000),
            liteMemory: context.liteMemory,
          },
          { ...policy, signal, deadline },
          message,
          route,
        );
        recordSend(metrics, context.channel.id, result);
        if (result.status === 'sent') deps.series?.record(campaignId, context.channel.mps);
        return result;
      },
      pause: pauseQuietly,
      async recordWamid(wamid, campaignId, phone) {
        if (wamid) await deps.redis.set(keys.wamid(wamid), `${campaignId}:${phone}`, 'EX', WAMID_TTL_SECONDS);
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
      context = await deps.contexts.get(campaign.channelId);
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
    // Send window: a batch reached while its zone's window is closed waits, as a delayed job, for the next opening.
    const opening = await windowOpeningFor(campaigns, current, batchIndex, Date.now());
    if (opening !== undefined) {
      await job.moveToDelayed(opening, token);
      throw new DelayedError();
    }
    // Fairness: if this channel already has its share of batches running, step aside for a
    // moment so other channels' batches get the worker slots.
    const lease = job.id ?? `${campaignId}-${batchIndex}`;
    const inFlight = inFlightFor(context);
    const entry = await deps.fairness.enter(context.channel, lease, current.batchSize, inFlight);
    if (!entry.admitted) {
      await job.moveToDelayed(Date.now() + entry.retryInMs, token);
      throw new DelayedError();
    }
    const renew = setInterval(() => void deps.fairness.renew(current.channelId, lease).catch(() => undefined), config.jobLockMs / 2);
    try {
      return await runBatch(job, token, current, context, lanesPerBatch(inFlight, current.batchSize, config.batchParallelism));
    } finally {
      clearInterval(renew);
      await deps.fairness.release(current.channelId, lease).catch(() => undefined);
    }
  }

  /** The channel's in-flight budget: its current rate × recent p95 latency × headroom (Little's law), bounded. */
  function inFlightFor(context: ChannelContext): number {
    // Below 100 ms the lane's own Redis work (claim, commit) dominates the cycle: keep that much.
    const p95 = Math.max(100, context.latency.p95(500));
    return inFlightBudget(context.limiter.status().rate, p95, { headroom: IN_FLIGHT_HEADROOM, min: config.batchParallelism, max: config.maxInFlight });
  }

  async function runBatch(
    job: Job<BatchJobData>,
    token: string | undefined,
    campaign: Campaign,
    context: ChannelContext,
    lanes = config.batchParallelism,
  ): Promise<{ status: BatchStatus }> {
    const { campaignId, batchIndex } = job.data;
    const recipients = await campaigns.loadBatch(campaignId, batchIndex);
    const watch = deps.control.watch(campaignId, campaign.state);
    const signal = AbortSignal.any([watch.signal, deps.shutdown]);
    // Every message in flight listens to this signal (retry waits, limiter waits).
    setMaxListeners(lanes * 4 + 10, signal);
    let status: BatchStatus;
    try {
      status = await processBatch(portsFor(context, campaignId), campaign, recipients, {
        parallelism: lanes,
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
      if (state && SENDING_STATES.has(state)) await requeueParked({ campaigns, queue: deps.queue }, campaignId);
    } else if (status === 'interrupted') {
      // Shutting down: put the batch back without using up an attempt; another worker resumes it.
      await job.moveToDelayed(Date.now() + 100, token);
      throw new DelayedError();
    }
    logger.debug({ campaign: campaignId, batch: batchIndex, status }, 'batch finished');
    return { status };
  }

  const worker = new Worker<BatchJobData>(keys.sendQueue, processJob, {
    connection: deps.connection,
    prefix: keys.queuePrefix,
    concurrency: deps.concurrency,
    lockDuration: config.jobLockMs,
    stalledInterval: Math.max(1_000, Math.floor(config.jobLockMs / 2)),
    // Batches are idempotent (the ledger skips what is done), so a batch may stall many times
    // (worker crashes) without being failed for it.
    maxStalledCount: 1_000,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) => logger.warn({ err: error, job: job?.id }, 'batch failed; it will be retried'));

  const aging = createPriorityAging({ queue: deps.queue, logger, agingMs: deps.priorityAgingMs ?? DEFAULT_PRIORITY_AGING_MS, intervalMs: 30_000 });
  aging.start();

  return {
    ready: () => worker.waitUntilReady().then(() => undefined),
    close: async (force = false) => {
      await aging.close();
      await worker.close(force);
    },
  };
}
