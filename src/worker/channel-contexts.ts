/**
 * What the worker holds per channel: its 360dialog client (instrumented, with the outage
 * breaker), its clustered limiter, and its shared MM Lite refusal memory. Built on first use and
 * rebuilt when the channel's key, base URL or rate changed.
 */
import type { Logger } from 'pino';
import { createDialogClient, type DialogClient } from '../dialog360/client.ts';
import type { Channel, ChannelStore } from '../shared/channel-store.ts';
import type { Config } from '../shared/config.ts';
import type { Keys } from '../shared/keys.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import type { LiteEligibilityMemory } from '../shared/route-decision.ts';
import { createSecretBox } from '../shared/secret-box.ts';
import type { ChannelLimiter, ChannelLimiters } from './channel-limiter.ts';
import { instrumentClient } from './instrument-client.ts';
import { createLatencyWindow, type LatencyWindow } from './latency-window.ts';
import { classifySendError } from '../dialog360/classify-send-error.ts';
import { isSlowThrottle } from '../dialog360/retry-policy.ts';
import { createRedisLiteMemory } from './redis-lite-memory.ts';

/** How often the channel gauges are sampled (the worker publishes its metrics every 2 s). */
const GAUGE_SAMPLE_MS = 1_000;

export type ChannelContext = { channel: Channel; client: DialogClient; limiter: ChannelLimiter; liteMemory: LiteEligibilityMemory; latency: LatencyWindow };

export type ChannelContexts = {
  /** The channel's context, current with its stored settings; throws a LitecastError when it is gone or its key unreadable. */
  get(channelId: string): Promise<ChannelContext>;
  /** Closes every client (the limiters belong to the caller). */
  close(): void;
};

export type ChannelContextsDeps = {
  config: Pick<Config, 'secretKey' | 'httpTimeoutMs' | 'liteReprobeSeconds' | 'maxInFlight'>;
  redis: Redis;
  keys: Keys;
  channels: Pick<ChannelStore, 'loadSealed'>;
  limiters: Pick<ChannelLimiters, 'forChannel'>;
  metrics: Metrics;
  logger: Logger;
};

/** Creates the per-channel context cache of one worker process. */
export function createChannelContexts(deps: ChannelContextsDeps): ChannelContexts {
  const { config, logger } = deps;
  const box = createSecretBox(config.secretKey);
  const contexts = new Map<string, ChannelContext & { sealedKey: string; inFlight: { count: number } }>();
  // The rate, refused-share and in-flight gauges are sampled here, off the per-message path: the
  // worker publishes its metrics every 2 s, so setting them on every answer bought nothing.
  const sampler = setInterval(() => {
    for (const { channel, limiter, inFlight } of contexts.values()) {
      deps.metrics.channelInFlight.set({ channel: channel.id }, inFlight.count);
      const status = limiter.status();
      deps.metrics.channelRate.set({ channel: channel.id }, status.rate);
      deps.metrics.channelRefused.set({ channel: channel.id }, status.answered > 0 ? status.refused / status.answered : 0);
    }
  }, GAUGE_SAMPLE_MS);
  sampler.unref();
  return {
    async get(channelId) {
      const { channel, sealedKey } = await deps.channels.loadSealed(channelId);
      const cached = contexts.get(channelId);
      if (cached && cached.sealedKey === sealedKey && cached.channel.baseUrl === channel.baseUrl && cached.channel.mps === channel.mps) {
        // Settings that need no new client (the frequency cap) take effect on the next batch.
        cached.channel = channel;
        return cached;
      }
      cached?.client.close();
      const limiter = deps.limiters.forChannel(channel);
      const latency = createLatencyWindow();
      const inFlight = { count: 0 };
      const client = instrumentClient(
        createDialogClient({ baseUrl: channel.baseUrl, apiKey: box.open(sealedKey), timeoutMs: config.httpTimeoutMs, maxSockets: config.maxInFlight }),
        deps.metrics,
        (coolDownMs) => {
          logger.warn({ channel: channelId, coolDownMs }, '360dialog unreachable for this channel: cooling down');
          void limiter.coolDown(coolDownMs).catch(() => undefined);
        },
        (response, route, ms) => {
          // The adaptive rate's window: every answer, and whether it was a `slow` throttle.
          const verdict = response.kind === 'accepted' ? undefined : classifySendError(response, route);
          limiter.recordAnswer(verdict !== undefined && isSlowThrottle(verdict), Date.now() - ms);
          if (response.kind !== 'network') latency.record(ms);
        },
        inFlight,
      );
      const context = {
        channel,
        sealedKey,
        client,
        limiter,
        latency,
        inFlight,
        liteMemory: createRedisLiteMemory({ redis: deps.redis, keys: deps.keys, channelId, ttlMs: config.liteReprobeSeconds * 1000 }),
      };
      contexts.set(channelId, context);
      return context;
    },
    close() {
      clearInterval(sampler);
      for (const context of contexts.values()) context.client.close();
      contexts.clear();
    },
  };
}
