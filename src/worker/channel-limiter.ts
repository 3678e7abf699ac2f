/**
 * Paces each channel across every worker process: one Bottleneck limiter per channel, clustered
 * through Redis, spacing POSTs `1000 / (mps × margin)` ms apart (design.md: `minTime` held the rate
 * within a message or two per second where a reservoir was bursty). Fast channels take their
 * slots in blocks (one Bottleneck job = several consecutive slots) to divide the limiter's cost. A throttle answer sets a
 * cool-down that every worker honours: stored in Redis for limiters that start later, and announced
 * through Bottleneck's pub/sub so running ones react at once, with no extra Redis call per message.
 * That full stop is only for the signals that mean stop; a `slow` throttle lowers the channel's
 * adaptive rate (adaptive-rate.ts), which this limiter applies as Bottleneck's minTime.
 */
import Bottleneck from 'bottleneck';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../shared/keys.ts';
import { abortableSleep } from '../shared/abortable-sleep.ts';
import { createAdaptiveRate, type AdaptiveRate } from './adaptive-rate.ts';
import { rateLawFor } from './rate-control.ts';

/** Longest a limiter slot may be held before the cluster reclaims it (a crashed worker's job). */
const JOB_EXPIRATION_MS = 30_000;

export type ChannelLimiter = {
  /** Resolves when this process may POST one message on the channel; early (unused) when `signal` fires. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Stops the channel for `ms` in every worker (a throttle verdict that means stop). */
  coolDown(ms: number): Promise<void>;
  /** A `slow` throttle signal: lowers the channel's shared rate when the control law says so. */
  throttled(blind?: boolean): Promise<void>;
  /** Counts one answer of this worker (to a request posted at `sentAt`) for the refused share of the window. */
  recordAnswer(throttled: boolean, sentAt?: number): void;
  /** The rate the channel is paced at now (msg/s), and this worker's refused share of the last window. */
  status(): { rate: number; answered: number; refused: number };
};

export type ChannelLimiters = {
  forChannel(channel: { id: string; mps: number }): ChannelLimiter;
  close(): Promise<void>;
};

/** Blocks a process asks Bottleneck for at once, per channel. */
const MAX_BLOCKS_IN_FLIGHT = 4;

/**
 * Send slots per Bottleneck job. Each clustered job costs about 3 Lua calls (~200 µs of Redis
 * CPU, measured); at 1,000 msg/s that is most of Redis's work, so fast channels take slots ten at
 * a time. Slow channels keep one slot per job: a block that goes unused costs them more.
 */
function blockSizeFor(mps: number): number {
  return Math.max(1, Math.min(10, Math.floor(mps / 100)));
}

/** Minimum spacing between two POSTs on a channel, in ms. */
function minTimeFor(mps: number, margin: number): number {
  return 1000 / (mps * margin);
}

/** Creates the process-wide set of channel limiters sharing one Redis connection pair. */
export function createChannelLimiters(deps: { redis: Redis; keys: Keys; margin: number; logger: Logger }): ChannelLimiters {
  // One connection object for every channel (Bottleneck would otherwise open two clients per
  // limiter), on its own client: Bottleneck closes the client it was given when it disconnects.
  // Not auto-pipelined, though a write per script call is about 8% of a sending worker's CPU:
  // Bottleneck's scripts take the caller's Date.now() as the time, and a call held back to the end
  // of the event-loop turn runs with an older time, which can bring two workers' slots closer than
  // the spacing (a tuned margin of 0.985 at 80 msg/s then saw 81 requests in one second).
  const connection = new Bottleneck.IORedisConnection({ client: deps.redis.duplicate() });
  connection.on('error', (error: unknown) => deps.logger.error({ err: error }, 'limiter connection error'));
  const limiters = new Map<string, { limiter: Bottleneck; api: ChannelLimiter; mps: number; adaptive: AdaptiveRate }>();

  function create(channel: { id: string; mps: number }) {
    let spacing = minTimeFor(channel.mps, deps.margin);
    const block = blockSizeFor(channel.mps);
    // Bottleneck paces blocks of `block` consecutive send slots across every worker; this process
    // hands the slots of the blocks it won to its waiting sends, spaced `spacing` ms apart.
    const minTime = spacing * block;
    const limiter = new Bottleneck({ id: deps.keys.channelLimiterId(channel.id), connection, minTime, maxConcurrent: null, clearDatastore: false });
    // The first limiter stores its settings in Redis for all; make sure a changed mps wins.
    limiter.updateSettings({ minTime, maxConcurrent: null });
    limiter.on('error', (error: unknown) => deps.logger.error({ err: error, channel: channel.id }, 'limiter error'));
    // The adaptive rate moves minTime (shared in Redis by every worker's limiter) and our spacing.
    const adaptive = createAdaptiveRate({
      redis: deps.redis,
      keys: deps.keys,
      channelId: channel.id,
      law: rateLawFor(channel.mps, deps.margin),
      apply(rate) {
        spacing = 1000 / rate;
        limiter.updateSettings({ minTime: spacing * block });
      },
      onError: (error) => deps.logger.warn({ err: error, channel: channel.id }, 'adaptive rate refresh failed'),
    });
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

    const slots: number[] = [];
    const waiters: Array<(slot: number | undefined) => void> = [];
    let requested = 0;

    /** Hands owned slots to waiters (dropping slots too late to use) and asks for more blocks. */
    function pump(): void {
      // A slot used late would bunch with the next block's sends: past its time by more than the
      // spacing, it is given up.
      const stale = Date.now() - spacing;
      while (slots.length > 0 && (slots[0] as number) < stale) slots.shift();
      while (waiters.length > 0 && slots.length > 0) (waiters.shift() as (slot: number) => void)(slots.shift() as number);
      const wanted = Math.min(MAX_BLOCKS_IN_FLIGHT, Math.ceil(waiters.length / block)) - requested;
      for (let i = 0; i < wanted; i++) {
        requested += 1;
        limiter
          .schedule({ expiration: JOB_EXPIRATION_MS }, async () => {
            const start = Date.now();
            for (let j = 0; j < block; j++) slots.push(start + j * spacing);
          })
          .then(
            () => undefined,
            (error: unknown) => deps.logger.warn({ err: error, channel: channel.id }, 'limiter slot request failed'),
          )
          .finally(() => {
            requested -= 1;
            pump();
          });
      }
    }

    /** The next owned slot time, or undefined when the signal fires first. */
    function nextSlot(signal?: AbortSignal): Promise<number | undefined> {
      return new Promise((resolve) => {
        const onAbort = () => {
          const index = waiters.indexOf(take);
          if (index >= 0) waiters.splice(index, 1);
          resolve(undefined);
        };
        const take = (slot: number | undefined) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(take);
        pump();
      });
    }

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
          // A paused campaign must not wait for its turn in a long queue; the slot goes unused.
          const slot = await nextSlot(signal);
          if (slot === undefined) return;
          await abortableSleep(slot - Date.now(), signal);
          // A throttle that arrived while we queued applies to us too.
          if (cooldownUntil <= Date.now() || signal?.aborted) return;
        }
      },
      async coolDown(ms) {
        const until = Date.now() + ms;
        if (until <= cooldownUntil) return;
        cooldownUntil = until;
        // Slots already won would fall inside the cool-down; drop them.
        slots.length = 0;
        await deps.redis.set(cooldownKey, String(until), 'PX', Math.max(1, ms));
        await limiter.publish(`cooldown:${until}`);
      },
      throttled: (blind) => adaptive.throttled(blind),
      recordAnswer: (throttled, sentAt) => adaptive.recordAnswer(throttled, sentAt),
      status() {
        return { rate: adaptive.rate(), ...adaptive.window() };
      },
    };
    return { limiter, api, mps: channel.mps, adaptive };
  }

  return {
    forChannel(channel) {
      let entry = limiters.get(channel.id);
      if (entry && entry.mps !== channel.mps) {
        entry.adaptive.close();
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
      for (const { adaptive } of limiters.values()) adaptive.close();
      await Promise.all([...limiters.values()].map(({ limiter }) => limiter.stop({ dropWaitingJobs: true }).catch(() => undefined)));
      limiters.clear();
      await connection.disconnect(false);
    },
  };
}
