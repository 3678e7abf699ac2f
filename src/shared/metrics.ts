/**
 * Prometheus metrics. Each process keeps its own prom-client registry; worker processes publish a
 * snapshot to Redis every few seconds, and the API's `GET /metrics` sums its own metrics with the
 * fresh snapshots (prom-client's cluster aggregator), so one scrape covers every worker.
 */
import { hostname } from 'node:os';
import type { RedisClient as Redis } from './redis.ts';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Keys } from './keys.ts';

const SNAPSHOT_EVERY_MS = 2_000;
/** Snapshots older than this belong to stopped processes and are left out. */
const SNAPSHOT_FRESH_MS = 30_000;

export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    messages: new Counter({ name: 'litecast_messages_total', help: 'Recipients finished, by channel, route and outcome', labelNames: ['channel', 'route', 'outcome'], registers }),
    sendErrors: new Counter({ name: 'litecast_send_errors_total', help: 'Failed requests to 360dialog, by code and class', labelNames: ['code', 'class'], registers }),
    fallbacks: new Counter({ name: 'litecast_fallbacks_total', help: 'Lite sends re-sent through the Cloud API, by channel and refusal code', labelNames: ['channel', 'code'], registers }),
    requestDuration: new Histogram({
      name: 'litecast_request_duration_seconds',
      help: 'Duration of requests to 360dialog, by route and result',
      labelNames: ['route', 'result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    limiterWait: new Histogram({
      name: 'litecast_limiter_wait_seconds',
      help: "Time spent waiting for the channel's rate limiter",
      labelNames: ['channel'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers,
    }),
    channelRate: new Gauge({ name: 'litecast_channel_rate', help: "The rate a channel is paced at now (msg/s; its adaptive rate, at most mps × margin)", labelNames: ['channel'], registers, aggregator: 'average' }),
    channelInFlight: new Gauge({ name: 'litecast_channel_in_flight', help: 'Requests of a channel waiting for their answer', labelNames: ['channel'], registers }),
    channelRefused: new Gauge({
      name: 'litecast_channel_refused_ratio',
      help: "Share of a channel's answers in the last window that were throttles (130429, 429, endpoint rate limit)",
      labelNames: ['channel'],
      registers,
      aggregator: 'average',
    }),
    webhookEvents: new Counter({ name: 'litecast_webhook_events_total', help: 'Webhook events received (api) and applied (worker), by type', labelNames: ['type', 'stage'], registers }),
    webhookLag: new Histogram({
      name: 'litecast_webhook_processing_lag_seconds',
      help: 'Time from receiving a webhook to having applied it',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    }),
    webhookAck: new Histogram({
      name: 'litecast_webhook_ack_seconds',
      help: 'Time to acknowledge a webhook (queue write included)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Publishes this process's metrics to Redis until stopped. */
export function publishMetrics(redis: Redis, keys: Keys, metrics: Metrics, role: string): { stop(): Promise<void> } {
  const field = `${role}:${hostname()}:${process.pid}`;
  const key = keys.metrics;
  const publish = async () => {
    const snapshot = JSON.stringify({ at: Date.now(), metrics: await metrics.registry.getMetricsAsJSON() });
    await redis.hset(key, field, snapshot);
  };
  const timer = setInterval(() => void publish().catch(() => undefined), SNAPSHOT_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      // A final snapshot, so counts of a process that drains and exits are still summed for a while.
      await publish().catch(() => undefined);
    },
  };
}

/** Prometheus text of this process plus every fresh snapshot in Redis. */
export async function aggregatedMetrics(redis: Redis, keys: Keys, local: Registry, extra: MetricObjectWithValues<MetricValue<string>>[] = []): Promise<{ contentType: string; text: string }> {
  const now = Date.now();
  const snapshots = Object.values(await redis.hgetall(keys.metrics))
    .map((raw) => JSON.parse(raw) as { at: number; metrics: MetricObjectWithValues<MetricValue<string>>[] })
    .filter((s) => now - s.at < SNAPSHOT_FRESH_MS)
    .map((s) => s.metrics);
  const aggregated = AggregatorRegistry.aggregate([await local.getMetricsAsJSON(), ...snapshots, ...(extra.length > 0 ? [extra] : [])] as never);
  return { contentType: aggregated.contentType, text: await aggregated.metrics() };
}
