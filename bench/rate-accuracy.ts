/**
 * Section 1: does litecast send at the rate a number allows, and never above it, however many
 * worker processes share the channel? For each worker count, real worker processes send one
 * campaign on a channel limited to 80 msg/s and then one on a channel limited to 1,000 msg/s, to
 * a sandbox in its own process that enforces the limit itself (130429 beyond it).
 *
 * Measured per run: the steady rate (first and last second dropped) over the limit, the busiest
 * sliding one-second window of requests the sandbox saw (and of accepted messages), and how many
 * 130429 answers the sandbox's limiter gave.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/shared/config.ts';
import { openPipeline } from './pipeline.ts';
import type { Redis } from 'ioredis';
import { cpuSecondsOf, litecastEnv, machineBusySeconds, startWorkers } from './processes.ts';
import { parseInfo } from './redis-stats.ts';
import { figure, type Figure } from './report.ts';
import { sandboxConfig, startSandbox } from './sandbox-process.ts';
import { analyzeTimeline } from './send-timeline.ts';

export type RateRun = {
  workers: number;
  mps: number;
  recipients: number;
  wallSeconds: number;
  steadyRate: number | null;
  steadySeconds: number;
  ratio: number | null;
  /** Busiest sliding second of message POSTs at the sandbox (any answer), its own count. */
  maxRequestsInAnySecond: number;
  /** Busiest sliding second of accepted messages, from their acceptance times. */
  maxAcceptedInAnySecond: number;
  /** 130429 answers from the sandbox's own limiter during this run. */
  throttled: number;
  requests: number;
  accepted: number;
  perSecond: number[];
  /** Cores busy on the whole machine during the run, and how many of them were not this benchmark's. */
  busyCores: number;
  otherCores: number;
};

export type RateAccuracyOptions = {
  redisUrl: string;
  workerCounts: readonly number[];
  limits: ReadonlyArray<{ mps: number; recipients: number }>;
  /** Extra worker environment; empty for the defaults. */
  workerEnv?: Record<string, string>;
  /** Prefix of the figure ids and names, for a tuned variant. */
  label?: string;
};

export async function measureRateAccuracy(options: RateAccuracyOptions): Promise<{ figures: Figure[]; runs: RateRun[] }> {
  const runs: RateRun[] = [];
  for (const workers of options.workerCounts) {
    const channels = options.limits.map(({ mps }, i) => ({
      id: `rate${mps}`,
      apiKey: `bench-${randomBytes(6).toString('hex')}`,
      phoneNumberId: String(200_000_000_000_000 + i),
      mps,
    }));
    const sandbox = await startSandbox(sandboxConfig(channels.map(({ apiKey, phoneNumberId, mps }) => ({ apiKey, phoneNumberId, mps }))));
    const pipeline = await openPipeline(options.redisUrl, `rate-w${workers}`);
    try {
      for (const c of channels) await pipeline.addChannel(c.id, sandbox.url, c.apiKey, c.mps);
      const pool = await startWorkers(workers, litecastEnv(options.redisUrl, pipeline.namespace, options.workerEnv));
      try {
        for (const [i, limit] of options.limits.entries()) {
          const channel = channels[i] as (typeof channels)[number];
          const before = await sandbox.stats();
          const cpuBefore = await ourCpuSeconds(pipeline.ctx.redis, [...pool.workers.map((w) => w.pid), sandbox.pid]);
          const machineBefore = machineBusySeconds();
          const started = Date.now();
          // Workers are already waiting: sending starts as soon as intake stores the first batches.
          const id = await pipeline.createCampaign(channel.id, limit.recipients);
          await pipeline.waitForCompletion([id], 30_000 + (limit.recipients / (limit.mps * 0.5)) * 1000, 100);
          const wallSeconds = (Date.now() - started) / 1000;
          const machineBusy = machineBusySeconds() - machineBefore;
          const ours = (await ourCpuSeconds(pipeline.ctx.redis, [...pool.workers.map((w) => w.pid), sandbox.pid])) - cpuBefore;
          const after = await sandbox.stats();
          const messages = (await sandbox.messages()).filter((m) => m.channel === channel.phoneNumberId);
          const timeline = analyzeTimeline(messages.map((m) => m.acceptedAt));
          const perChannel = after.perChannel[channel.phoneNumberId];
          runs.push({
            workers,
            mps: limit.mps,
            recipients: limit.recipients,
            wallSeconds,
            steadyRate: timeline.steadyRate,
            steadySeconds: timeline.steadySeconds,
            ratio: timeline.steadyRate === null ? null : timeline.steadyRate / limit.mps,
            maxRequestsInAnySecond: perChannel?.maxRequestsInAnySecond ?? 0,
            maxAcceptedInAnySecond: timeline.maxInAnySecond,
            throttled: (after.rejectedByCode['130429'] ?? 0) - (before.rejectedByCode['130429'] ?? 0),
            requests: perChannel?.requests ?? 0,
            accepted: perChannel?.accepted ?? 0,
            perSecond: timeline.perSecond,
            busyCores: machineBusy / wallSeconds,
            otherCores: Math.max(0, machineBusy - ours) / wallSeconds,
          });
        }
      } finally {
        await pool.close();
      }
    } finally {
      await sandbox.close();
      await pipeline.close();
    }
  }
  // The margin the workers pace with: the one given to them, else litecast's default.
  const margin = loadConfig({ ...options.workerEnv }).rateMargin;
  return { figures: rateFigures(runs, { ...(options.label !== undefined ? { label: options.label } : {}), margin }), runs };
}

/** CPU seconds used so far by these processes and by Redis (server-wide), plus this process. */
async function ourCpuSeconds(redis: Redis, pids: readonly number[]): Promise<number> {
  const cpu = parseInfo(await redis.info('cpu'));
  const self = process.cpuUsage();
  return pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0) + Number(cpu.used_cpu_user ?? 0) + Number(cpu.used_cpu_sys ?? 0) + (self.user + self.system) / 1e6;
}

function rateFigures(runs: readonly RateRun[], options: { label?: string; margin: number }): Figure[] {
  const { label } = options;
  const section = '1. rate accuracy';
  const figures: Figure[] = [];
  for (const run of runs) {
    const who = `${label ? `${label}: ` : ''}${run.mps} msg/s, ${run.workers} worker${run.workers === 1 ? '' : 's'}`;
    const id = `rate${label ? `.${label.replace(/\W+/g, '-')}` : ''}.${run.mps}mps.w${run.workers}`;
    figures.push(
      figure({
        id: `${id}.ratio`,
        section,
        name: `${who}: steady rate / limit`,
        value: run.ratio === null ? null : round(run.ratio * 100, 2),
        unit: '%',
        target: { op: '>=', value: 97 },
        note: `${round(run.steadyRate ?? 0, 1)} msg/s over ${round(run.steadySeconds, 1)} s of steady state: ${round(((run.steadyRate ?? 0) / (run.mps * options.margin)) * 100, 1)} % of what litecast aims at (limit × LITECAST_RATE_MARGIN ${options.margin}); machine: ${round(run.busyCores, 2)} cores busy, ${round(run.otherCores, 2)} of them by other processes`,
      }),
      figure({
        id: `${id}.max-window`,
        section,
        name: `${who}: busiest 1-s window of requests`,
        value: run.maxRequestsInAnySecond,
        unit: 'req',
        target: { op: '<=', value: run.mps },
        note: `accepted messages: ${run.maxAcceptedInAnySecond} in the busiest second`,
      }),
      figure({ id: `${id}.130429`, section, name: `${who}: 130429 from the sandbox's limiter`, value: run.throttled, unit: '', target: { op: '==', value: 0 } }),
    );
  }
  return figures;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
