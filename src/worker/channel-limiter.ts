/**
 * Paces each channel across every worker process: one Bottleneck limiter per channel, clustered
 * through Redis, spacing POSTs `1000 / (mps × margin)` ms apart (design.md: `minTime` held the rate
 * within a message or two per second where a reservoir was bursty). A throttle answer sets a
 * cool-down that every worker honours: stored in Redis for limiters that start later, and announced
 * through Bottleneck's pub/sub so running ones react at once, with no extra Redis call per message.
 */
import Bottleneck from 'bottleneck';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../shared/keys.ts';
import { abortableSleep } from '../dialog360/send-message.ts';

/** Longest a limiter slot may be held before the cluster reclaims it (a crashed worker's job). */
const JOB_EXPIRATION_MS = 30_000;

export type ChannelLimiter = {
  /** Resolves when this process may POST one message on the channel; early (unused) when `signal` fires. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Stops the channel for `ms` in every worker (a throttle verdict). */
  coolDown(ms: number): Promise<void>;
  /** Milliseconds of cool-down left, for metrics and tests. */
  coolDownLeft(): number;
};

export type ChannelLimiters = {
  forChannel(channel: { id: string; mps: number }): ChannelLimiter;
  close(): Promise<void>;
};

/** Minimum spacing between two POSTs on a channel, in ms. */
export function minTimeFor(mps: number, margin: number): number {
  return 1000 / (mps * margin);
}

/** Creates the process-wide set of channel limiters sharing one Redis connection pair. */
export function createChannelLimiters(deps: { redis: Redis; keys: Keys; margin: number; logger: Logger }): ChannelLimiters {
  // One connection object for every channel (Bottleneck would otherwise open two clients per
  // limiter), on its own client: Bottleneck closes the client it was given when it disconnects.
  const connection = new Bottleneck.IORedisConnection({ client: deps.redis.duplicate() });
  connection.on('error', (error: unknown) => deps.logger.error({ err: error }, 'limiter connection error'));
  const limiters = new Map<string, { limiter: Bottleneck; api: ChannelLimiter; mps: number }>();

  function create(channel: { id: string; mps: number }) {
    const minTime = minTimeFor(channel.mps, deps.margin);
    const limiter = new Bottleneck({ id: deps.keys.channelLimiterId(channel.id), connection, minTime, maxConcurrent: null, clearDatastore: false });
    // The first limiter stores its settings in Redis for all; make sure a changed mps wins.
    limiter.updateSettings({ minTime, maxConcurrent: null });
    limiter.on('error', (error: unknown) => deps.logger.error({ err: error, channel: channel.id }, 'limiter error'));
    let cooldownUntil = 0;
    const cooldownKey = deps.keys.channelCooldown(channel.id);
    const loaded = deps.redis.get(cooldownKey).then(
      (value) => {
        cooldownUntil = Math.max(cooldownUntil, Number(value ?? 0));
      },
      () => undefined,
    );
    limiter.on('message', (message: string) => {
      const until = Number(message.startsWith('cooldown:') ? message.slice('cooldown:'.length) : NaN);
      if (Number.isFinite(until)) cooldownUntil = Math.max(cooldownUntil, until);
    });

    const api: ChannelLimiter = {
      async acquire(signal) {
        await loaded;
        for (;;) {
          if (signal?.aborted) return;
          const wait = cooldownUntil - Date.now();
          if (wait > 0) {
            await abortableSleep(wait, signal);
            continue;
          }
          const slot = limiter.schedule({ expiration: JOB_EXPIRATION_MS }, async () => undefined);
          if (signal) {
            // A paused campaign must not wait for its turn in a long queue; the slot, when it
            // comes, simply goes unused.
            await new Promise<void>((resolve, reject) => {
              const onAbort = () => resolve();
              signal.addEventListener('abort', onAbort, { once: true });
              slot.then(
                () => {
                  signal.removeEventListener('abort', onAbort);
                  resolve();
                },
                (error: unknown) => {
                  signal.removeEventListener('abort', onAbort);
                  reject(error as Error);
                },
              );
            });
          } else {
            await slot;
          }
          // A throttle that arrived while we queued applies to us too.
          if (cooldownUntil <= Date.now() || signal?.aborted) return;
        }
      },
      async coolDown(ms) {
        const until = Date.now() + ms;
        if (until <= cooldownUntil) return;
        cooldownUntil = until;
        await deps.redis.set(cooldownKey, String(until), 'PX', Math.max(1, ms));
        await limiter.publish(`cooldown:${until}`);
      },
      coolDownLeft: () => Math.max(0, cooldownUntil - Date.now()),
    };
    return { limiter, api, mps: channel.mps };
  }

  return {
    forChannel(channel) {
      let entry = limiters.get(channel.id);
      if (entry && entry.mps !== channel.mps) {
        void entry.limiter.disconnect(false);
        entry = undefined;
      }
      if (!entry) {
        entry = create(channel);
        limiters.set(channel.id, entry);
      }
      return entry.api;
    },
    async close() {
      await Promise.all([...limiters.values()].map(({ limiter }) => limiter.stop({ dropWaitingJobs: true }).catch(() => undefined)));
      limiters.clear();
      await connection.disconnect(false);
    },
  };
}
