/**
 * Section 4's measuring helpers: weighted quantiles, Redis's CPU and background load, and the lag
 * from a body's acknowledgement to its application, from samples of the webhook stream.
 */
import type { Redis } from 'ioredis';
import type { BenchPipeline } from './pipeline.ts';
import { parseInfo } from './redis-stats.ts';

export type Quantiles = { p50: number; p90: number; p99: number; max: number; mean: number };

/** Quantiles of values with weights (nearest rank). */
export function weightedQuantiles(values: readonly number[], weights?: readonly number[]): Quantiles {
  const order = values.map((v, i) => [v, weights?.[i] ?? 1] as const).sort((a, b) => a[0] - b[0]);
  const total = order.reduce((sum, [, w]) => sum + w, 0);
  const at = (q: number) => {
    const rank = q * total;
    let seen = 0;
    for (const [v, w] of order) {
      seen += w;
      if (seen >= rank) return v;
    }
    return order[order.length - 1]?.[0] ?? NaN;
  };
  const mean = order.reduce((sum, [v, w]) => sum + v * w, 0) / total;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: order[order.length - 1]?.[0] ?? NaN, mean };
}

/** Counts divided by POSTs, rounded, the ten largest. */
export function perPost(counts: Record<string, number>, posts: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([k, v]) => [k, Math.round((v / posts) * 100) / 100]),
  );
}

export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const cpu = parseInfo(await redis.info('cpu'));
  return Number(cpu.used_cpu_user ?? 0) + Number(cpu.used_cpu_sys ?? 0);
}

export async function redisBackground(redis: Redis, ms = 500): Promise<{ commandsPerSecond: number; cpuPercent: number }> {
  const read = async () => {
    const stats = parseInfo(await redis.info('stats'));
    return { at: Date.now(), commands: Number(stats.total_commands_processed ?? 0), cpu: await redisCpuSeconds(redis) };
  };
  const a = await read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = await read();
  const seconds = (b.at - a.at) / 1000;
  return { commandsPerSecond: Math.round((b.commands - a.commands - 2) / seconds), cpuPercent: Math.round(((b.cpu - a.cpu) / seconds) * 1000) / 10 };
}

export type StreamSample = { at: number; added: number; applied: number };

/** Bodies ever added to the stream, and those the `apply` group has read and acknowledged (Redis 7's entries-added / entries-read). */
export async function sampleStream(redis: BenchPipeline['ctx']['redis'], keys: BenchPipeline['ctx']['keys']): Promise<StreamSample> {
  const at = Date.now();
  // Before the first body (and before a worker has created the group) there is no stream yet.
  if (!(await redis.exists(keys.webhookStream))) return { at, added: 0, applied: 0 };
  const info = fields((await redis.xinfo('STREAM', keys.webhookStream)) as unknown[]);
  const groups = ((await redis.xinfo('GROUPS', keys.webhookStream)) as unknown[][]).map(fields);
  const group = groups.find((g) => g['name'] === keys.webhookGroup) ?? {};
  return { at, added: Number(info['entries-added'] ?? 0), applied: Number(group['entries-read'] ?? 0) - Number(group['pending'] ?? 0) };
}

function fields(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

/**
 * Lag from two cumulative curves sampled every ~20 ms (the stream is first in, first out): the
 * bodies added between two samples were applied when the applied count first reached them.
 */
export function streamLags(samples: StreamSample[]): { lags: number[]; weights: number[] } {
  const lags: number[] = [];
  const weights: number[] = [];
  let j = 0;
  for (let i = 1; i < samples.length; i++) {
    const now = samples[i] as StreamSample;
    const n = now.added - (samples[i - 1] as StreamSample).added;
    if (n <= 0) continue;
    while (j < samples.length - 1 && (samples[j] as StreamSample).applied < now.added) j++;
    lags.push(Math.max(0, (samples[j] as StreamSample).at - now.at));
    weights.push(n);
  }
  return { lags, weights };
}
