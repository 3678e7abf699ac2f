/**
 * Applies webhook bodies from the stream (events-stream.ts) in the worker process, as one member
 * of the `apply` consumer group: XREADGROUP a batch, apply all its bodies at once (their commands
 * reach Redis as one ledger read and one script call per campaign), XACK what was applied. A body whose status
 * came before its send was committed stays pending and is claimed again after a backoff; a body a
 * crashed consumer read and never acknowledged is taken over with XAUTOCLAIM once it has been idle
 * for `claimIdleMs`. Applying is idempotent (apply-events-3.lua counts each status once), so a body
 * applied again after a crash between applying and XACK counts nothing twice.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { abortableSleep } from '../shared/abortable-sleep.ts';
import type { ChannelStore } from '../shared/channel-store.ts';
import type { Keys } from '../shared/keys.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import { createEventsStream, decodeEntry, ensureGroup, type StreamEntry } from './events-stream.ts';
import { processWebhooks, type ChannelResolver, type ThrottleSignal } from './process-webhook.ts';
import type { WebhookStore } from './webhook-store.ts';

export type EventsConsumerDeps = {
  /** Commands: applying, acknowledging, claiming. Best with auto-pipelining (a batch's commands leave together). */
  redis: Redis;
  keys: Keys;
  webhooks: WebhookStore;
  channels: Pick<ChannelStore, 'list'>;
  metrics: Metrics;
  logger: Logger;
  /** An entry read but unacknowledged for this long is taken over from its (presumably dead) consumer. */
  claimIdleMs: number;
  /** Bodies read and applied at once. Default 200. */
  batchSize?: number;
  /** How long one read waits for new entries, in ms. Default 1000. */
  blockMs?: number;
  /**
   * After a batch smaller than `batchSize`, wait this long before reading again, so that under a
   * steady trickle (one status per POST) a read takes tens of bodies, not one: a read, a ledger
   * read, a script and an XACK cost the same for one body as for two hundred. Default 25 ms.
   */
  lingerMs?: number;
  /** Attempts of a body whose status came before its send was committed; then it is kept as unmatched. Default 8. */
  maxAttempts?: number;
  /** Delay before the second attempt of such a body; doubles each time. Default 250 ms. */
  retryBaseMs?: number;
  /** This consumer's name in the group; unique per process by default. */
  consumerName?: string;
  /** A 130429 in a webhook's `value.errors` for this channel (lowers its adaptive rate). */
  onThrottleSignal?: ThrottleSignal;
};

export type EventsConsumer = {
  /** Resolves once the consumer group exists and the consumer is reading. */
  ready(): Promise<void>;
  /** Finishes the batch being applied, then stops. */
  close(): Promise<void>;
};

type Retry = { attempt: number; due: number };

/** Starts consuming the webhook stream. */
export function createEventsConsumer(deps: EventsConsumerDeps): EventsConsumer {
  const { redis, keys, metrics, logger, claimIdleMs } = deps;
  const batchSize = deps.batchSize ?? 200;
  const blockMs = deps.blockMs ?? 1_000;
  const lingerMs = deps.lingerMs ?? 25;
  const maxAttempts = deps.maxAttempts ?? 8;
  const retryBaseMs = deps.retryBaseMs ?? 250;
  const name = deps.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const stream = createEventsStream(redis, keys);
  const blocking = redis.duplicate();
  blocking.on('error', (error) => logger.warn({ err: error }, 'events consumer connection error'));
  const retries = new Map<string, Retry>();
  const stopping = new AbortController();
  let markReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));

  /** The next try of a body after its `attempt`-th: the backoff doubles (capped, as a body may fail for as long as Redis does). */
  const retryAfter = (attempt: number, now: number): Retry => ({ attempt: attempt + 1, due: now + retryBaseMs * 2 ** Math.min(attempt - 1, 10) });

  /** Applies a batch of entries; acknowledges the applied ones, schedules the not-yet ones. */
  async function applyBatch(entries: StreamEntry[], attemptOf: (id: string) => number): Promise<void> {
    if (entries.length === 0) return;
    // One channel list per batch: Cloud API statuses name the number by its phone_number_id.
    let channelList: ReturnType<ChannelStore['list']> | undefined;
    const resolveChannel: ChannelResolver = async (phoneNumberId) =>
      phoneNumberId ? (await (channelList ??= deps.channels.list())).find((c) => c.phoneNumberId === phoneNumberId)?.id : undefined;
    // One call for the whole batch: its statuses reach Redis as one ledger read and one script per campaign.
    const outcomes = await processWebhooks(
      deps.webhooks,
      entries.map((entry) => entry.job),
      resolveChannel,
      deps.onThrottleSignal,
    );
    const results = entries.map((entry, i) => {
      const outcome = outcomes[i] ?? { error: new Error('webhook body not applied') };
      return 'error' in outcome ? { entry, error: outcome.error } : { entry, outcome };
    });
    const now = Date.now();
    const applied: string[] = [];
    const finals: Array<Promise<void>> = [];
    // Counted once per kind for the batch: a labelled metric costs a lookup per call.
    const byKind = new Map<string, number>();
    for (const result of results) {
      const { id } = result.entry;
      const attempt = attemptOf(id);
      if ('error' in result) {
        // Left pending: retried like a not-yet body (a Redis error is usually brief).
        logger.warn({ err: result.error, entry: id }, 'webhook body not applied; retrying');
        retries.set(id, retryAfter(attempt, now));
        continue;
      }
      const { outcome } = result;
      for (const [type, n] of Object.entries(outcome.byKind)) byKind.set(type, (byKind.get(type) ?? 0) + n);
      if (outcome.notYet > 0 && attempt < maxAttempts) {
        retries.set(id, retryAfter(attempt, now));
        continue;
      }
      if (outcome.notYet > 0) {
        // Its send never committed in ~30 s: kept where unmatched events go, not retried forever.
        finals.push(deps.webhooks.keepUnmatched({ entry: id, body: result.entry.job.body.slice(0, 2_000) }, 'not-committed'));
      }
      retries.delete(id);
      applied.push(id);
      metrics.webhookLag.observe((now - result.entry.job.receivedAt) / 1000);
    }
    for (const [type, n] of byKind) metrics.webhookEvents.inc({ type, stage: 'applied' }, n);
    await Promise.all(finals);
    if (applied.length > 0) await redis.xack(keys.webhookStream, keys.webhookGroup, ...applied);
  }

  /** Claims again this consumer's not-yet bodies whose backoff has passed. */
  async function retryDue(now: number): Promise<void> {
    const due = [...retries].filter(([, r]) => r.due <= now).map(([id]) => id);
    if (due.length === 0) return;
    const raw = (await redis.xclaim(keys.webhookStream, keys.webhookGroup, name, 0, ...due)) as Array<[string, string[]] | null>;
    const claimed = new Set<string>();
    const entries = raw.filter((r): r is [string, string[]] => Array.isArray(r)).map(decodeEntry);
    for (const entry of entries) claimed.add(entry.id);
    // Gone from the stream or the group: nothing left to retry.
    for (const id of due) if (!claimed.has(id)) retries.delete(id);
    await applyBatch(entries, (id) => retries.get(id)?.attempt ?? 1);
  }

  /** Takes over entries another consumer read and left unacknowledged for claimIdleMs. */
  async function reclaimIdle(): Promise<void> {
    let cursor = '0-0';
    do {
      const [next, raw] = (await redis.xautoclaim(keys.webhookStream, keys.webhookGroup, name, claimIdleMs, cursor, 'COUNT', batchSize)) as [string, Array<[string, string[]] | null>];
      cursor = next;
      const entries = raw.filter((r): r is [string, string[]] => Array.isArray(r)).map(decodeEntry);
      if (entries.length > 0) logger.info({ entries: entries.length }, 'took over webhook bodies left unacknowledged by another consumer');
      await applyBatch(entries, (id) => retries.get(id)?.attempt ?? 1);
    } while (cursor !== '0-0' && !stopping.signal.aborted);
  }

  async function run(): Promise<void> {
    for (;;) {
      try {
        await ensureGroup(redis, keys);
        break;
      } catch (error) {
        if (stopping.signal.aborted) return;
        logger.warn({ err: error }, 'cannot create the webhook consumer group yet');
        await abortableSleep(1_000, stopping.signal);
      }
    }
    markReady();
    let lastReclaim = 0;
    let lastTrim = Date.now();
    const reclaimEvery = Math.max(50, Math.min(claimIdleMs / 2, 5_000));
    while (!stopping.signal.aborted) {
      try {
        let now = Date.now();
        if (now - lastReclaim >= reclaimEvery) {
          lastReclaim = now;
          await reclaimIdle();
        }
        await retryDue(now);
        now = Date.now();
        const nextDue = Math.min(...[...retries.values()].map((r) => r.due), now + blockMs, lastReclaim + reclaimEvery);
        const reply = (await blocking.xreadgroup('GROUP', keys.webhookGroup, name, 'COUNT', batchSize, 'BLOCK', Math.max(1, nextDue - now), 'STREAMS', keys.webhookStream, '>')) as
          | Array<[string, Array<[string, string[]]>]>
          | null;
        const entries = (reply?.[0]?.[1] ?? []).map(decodeEntry);
        await applyBatch(entries, () => 1);
        if (entries.length > 0 && entries.length < batchSize && lingerMs > 0) await abortableSleep(lingerMs, stopping.signal);
        if (Date.now() - lastTrim >= 1_000) {
          lastTrim = Date.now();
          await stream.trim();
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        logger.error({ err: error }, 'webhook consumer error');
        await abortableSleep(500, stopping.signal);
      }
    }
  }

  const running = run();
  return {
    ready: () => readyPromise,
    async close() {
      stopping.abort('close');
      // A read waits at most blockMs; a read stuck on a lost connection is cut.
      const cut = setTimeout(() => blocking.disconnect(), blockMs + 500);
      await running;
      clearTimeout(cut);
      blocking.disconnect();
      // Leave no dead consumer behind in the group, unless it still holds entries (others take them over).
      try {
        const pending = (await redis.xpending(keys.webhookStream, keys.webhookGroup, '-', '+', 1, name)) as unknown[];
        if (pending.length === 0) await redis.xgroup('DELCONSUMER', keys.webhookStream, keys.webhookGroup, name);
      } catch {
        // Redis is gone: the consumer entry is harmless.
      }
    },
  };
}
