/**
 * Section 6 (issue 9): the scaling table. For 1, 2, 4 and 8 worker processes, on a single Redis
 * and on a three-master Redis Cluster:
 *   - aggregate msg/s: four channels at 1,000 msg/s each (4,000 msg/s demanded, more than two
 *     cores send), one campaign per channel, all sent at once. The batch queue is first-in
 *     first-out and a batch keeps its worker slot while it waits for its channel's limiter, so
 *     with the default 8 slots per worker the channels would take turns (section 2); here each
 *     worker gets ⌈batches ÷ workers⌉ slots (LITECAST_WORKER_CONCURRENCY), the same total for every
 *     worker count, so all four channels send at once and the machine is the limit;
 *   - rate accuracy: one channel at 1,000 msg/s, sent by the same number of workers with default
 *     settings (a fresh pool): steady rate / limit, the sandbox's busiest one-second window of
 *     requests, and its 130429 answers.
 * Each configuration has its own sandbox process and key namespace; the worker processes are real
 * `litecast worker`s. The cluster's three redis-server processes run on the same two cores.
 */
import { randomBytes } from 'node:crypto';
import { openPipeline } from './pipeline.ts';
import type { RateRun } from './rate-accuracy.ts';
import { cpuSecondsOf, litecastEnv, machineBusySeconds, startWorkers } from './processes.ts';
import { openRedisNodes, serverTotals } from './redis-nodes.ts';
import { figure, formatNumber, type Figure } from './report.ts';
import { sandboxConfig, startSandbox } from './sandbox-process.ts';
import { analyzeTimeline } from './send-timeline.ts';

export type ScalingScale = {
  workerCounts: number[];
  /** Also on a Redis Cluster (started by the benchmark unless one is given). */
  cluster: boolean;
  aggregate: { channels: number; mpsPerChannel: number; recipientsPerChannel: number };
  rate: { mps: number; recipients: number };
};

export type Backend = 'single Redis' | 'cluster';

export type ScalingRun = {
  backend: Backend;
  workers: number;
  aggregate: {
    demanded: number;
    concurrency: number;
    messages: number;
    wallSeconds: number;
    steadyRate: number | null;
    steadySeconds: number;
    meanActiveChannels: number;
    /** µs of CPU per message: all worker processes (from ready), Redis (all servers, server-wide). */
    cpuPerMessage: { workers: number; redis: number };
    busyCores: number;
    perSecond: number[];
  };
  /** The same measures as section 1's rate runs. */
  rate: Pick<RateRun, 'mps' | 'recipients' | 'wallSeconds' | 'steadyRate' | 'steadySeconds' | 'ratio' | 'maxRequestsInAnySecond' | 'maxAcceptedInAnySecond' | 'throttled' | 'busyCores' | 'perSecond'>;
};

export type ScalingOptions = {
  scale: ScalingScale;
  backends: Array<{ backend: Backend; redisUrl: string }>;
  log?: (line: string) => void;
};

export async function measureScaling(options: ScalingOptions): Promise<ScalingRun[]> {
  const runs: ScalingRun[] = [];
  for (const { backend, redisUrl } of options.backends) {
    for (const workers of options.scale.workerCounts) {
      options.log?.(`   ${backend}, ${workers} worker${workers === 1 ? '' : 's'}…`);
      const run = await measureOne(redisUrl, backend, workers, options.scale);
      options.log?.(`   ${backend}, ${workers} worker${workers === 1 ? '' : 's'}: ${Math.round(run.aggregate.steadyRate ?? 0)} msg/s aggregate; 1 channel: ${((run.rate.ratio ?? 0) * 100).toFixed(1)} % of the limit, busiest second ${run.rate.maxRequestsInAnySecond}`);
      runs.push(run);
    }
  }
  return runs;
}

async function measureOne(redisUrl: string, backend: Backend, workers: number, scale: ScalingScale): Promise<ScalingRun> {
  const { aggregate, rate } = scale;
  const key = () => `bench-${randomBytes(6).toString('hex')}`;
  const aggChannels = Array.from({ length: aggregate.channels }, (_, i) => ({ id: `agg${i}`, apiKey: key(), phoneNumberId: String(400_000_000_000_000 + i), mps: aggregate.mpsPerChannel }));
  const rateChannel = { id: 'rate', apiKey: key(), phoneNumberId: '400000000000099', mps: rate.mps };
  const all = [...aggChannels, rateChannel];
  const sandbox = await startSandbox(sandboxConfig(all.map(({ apiKey, phoneNumberId, mps }) => ({ apiKey, phoneNumberId, mps }))));
  const pipeline = await openPipeline(redisUrl, `scale-${backend === 'cluster' ? 'cluster' : 'single'}-w${workers}`);
  const servers = await openRedisNodes(redisUrl);
  try {
    for (const c of all) await pipeline.addChannel(c.id, sandbox.url, c.apiKey, c.mps);
    const env = litecastEnv(redisUrl, pipeline.namespace);

    // Rate accuracy: default settings, workers waiting before the campaign is taken in (as section 1).
    let ratePart: ScalingRun['rate'];
    {
      const pool = await startWorkers(workers, env);
      try {
        const before = await sandbox.stats();
        const machineBefore = machineBusySeconds();
        const started = Date.now();
        const id = await pipeline.createCampaign(rateChannel.id, rate.recipients);
        await pipeline.waitForCompletion([id], 30_000 + (rate.recipients / (rate.mps * 0.5)) * 1000, 100);
        const wallSeconds = (Date.now() - started) / 1000;
        const busyCores = (machineBusySeconds() - machineBefore) / wallSeconds;
        const after = await sandbox.stats();
        const timeline = analyzeTimeline((await sandbox.messages()).filter((m) => m.channel === rateChannel.phoneNumberId).map((m) => m.acceptedAt));
        const perChannel = after.perChannel[rateChannel.phoneNumberId];
        ratePart = {
          mps: rate.mps,
          recipients: rate.recipients,
          wallSeconds,
          steadyRate: timeline.steadyRate,
          steadySeconds: timeline.steadySeconds,
          ratio: timeline.steadyRate === null ? null : timeline.steadyRate / rate.mps,
          maxRequestsInAnySecond: perChannel?.maxRequestsInAnySecond ?? 0,
          maxAcceptedInAnySecond: timeline.maxInAnySecond,
          throttled: (after.rejectedByCode['130429'] ?? 0) - (before.rejectedByCode['130429'] ?? 0),
          busyCores,
          perSecond: timeline.perSecond,
        };
      } finally {
        await pool.close();
      }
    }

    // Aggregate: every batch gets a slot, the same total for every worker count.
    const batches = aggregate.channels * Math.ceil(aggregate.recipientsPerChannel / 100);
    const concurrency = Math.ceil(batches / workers);
    let aggregatePart: ScalingRun['aggregate'];
    {
      const pool = await startWorkers(workers, litecastEnv(redisUrl, pipeline.namespace, { LITECAST_WORKER_CONCURRENCY: String(concurrency) }));
      try {
        const pids = pool.workers.map((w) => w.pid);
        const cpuBefore = pids.reduce((s, p) => s + cpuSecondsOf(p), 0);
        const redisBefore = await serverTotals(servers.nodes);
        const machineBefore = machineBusySeconds();
        const started = Date.now();
        const ids = await Promise.all(aggChannels.map((c) => pipeline.createCampaign(c.id, aggregate.recipientsPerChannel)));
        await pipeline.waitForCompletion(ids, 60_000 + ((aggregate.channels * aggregate.recipientsPerChannel) / 300) * 1000, 100);
        const wallSeconds = (Date.now() - started) / 1000;
        const busyCores = (machineBusySeconds() - machineBefore) / wallSeconds;
        const workerCpu = pids.reduce((s, p) => s + cpuSecondsOf(p), 0) - cpuBefore;
        const redisCpu = (await serverTotals(servers.nodes)).cpuSeconds - redisBefore.cpuSeconds;
        const aggIds = new Set(aggChannels.map((c) => c.phoneNumberId));
        const messages = (await sandbox.messages()).filter((m) => aggIds.has(m.channel));
        const timeline = analyzeTimeline(messages.map((m) => m.acceptedAt));
        const first = messages.reduce((min, m) => Math.min(min, m.acceptedAt), Infinity);
        const active = new Map<number, Set<string>>();
        for (const m of messages) {
          const second = Math.floor((m.acceptedAt - first) / 1000);
          let set = active.get(second);
          if (!set) active.set(second, (set = new Set()));
          set.add(m.channel);
        }
        const steady = [...active.entries()].filter(([s]) => s >= 1 && s < timeline.perSecond.length - 1);
        aggregatePart = {
          demanded: aggregate.channels * aggregate.mpsPerChannel,
          concurrency,
          messages: messages.length,
          wallSeconds,
          steadyRate: timeline.steadyRate,
          steadySeconds: timeline.steadySeconds,
          meanActiveChannels: steady.length === 0 ? 0 : steady.reduce((a, [, set]) => a + set.size, 0) / steady.length,
          cpuPerMessage: { workers: (workerCpu * 1e6) / messages.length, redis: (redisCpu * 1e6) / messages.length },
          busyCores,
          perSecond: timeline.perSecond,
        };
      } finally {
        await pool.close();
      }
    }
    return { backend, workers, aggregate: aggregatePart, rate: ratePart };
  } finally {
    servers.close();
    await sandbox.close();
    await pipeline.close();
  }
}

const slug = (backend: Backend) => (backend === 'cluster' ? 'cluster' : 'single');

export function scalingFigures(runs: readonly ScalingRun[]): Figure[] {
  const section = '6. scaling';
  const figures: Figure[] = [];
  const r1 = (v: number) => Math.round(v * 10) / 10;
  for (const run of runs) {
    const who = `${run.backend}, ${run.workers} worker${run.workers === 1 ? '' : 's'}`;
    const id = `scaling.${slug(run.backend)}.w${run.workers}`;
    const a = run.aggregate;
    const r = run.rate;
    figures.push(
      figure({
        id: `${id}.aggregate`,
        section,
        name: `${who}: aggregate steady rate, 4 channels × 1,000 msg/s`,
        value: a.steadyRate === null ? null : Math.round(a.steadyRate),
        unit: 'msg/s',
        note: `${a.demanded.toLocaleString('en-US')} msg/s demanded; ${a.messages.toLocaleString('en-US')} messages in ${r1(a.wallSeconds)} s, ${r1(a.meanActiveChannels)} of 4 channels sending in a steady second; LITECAST_WORKER_CONCURRENCY=${a.concurrency}; CPU per message: workers ${Math.round(a.cpuPerMessage.workers)} µs, Redis ${Math.round(a.cpuPerMessage.redis)} µs; machine ${r1(a.busyCores)} cores busy`,
      }),
      figure({
        id: `${id}.ratio`,
        section,
        name: `${who}: 1 channel at ${r.mps.toLocaleString('en-US')} msg/s, steady rate / limit`,
        value: r.ratio === null ? null : Math.round(r.ratio * 10_000) / 100,
        unit: '%',
        target: { op: '>=', value: 97 },
        note: `${r1(r.steadyRate ?? 0)} msg/s over ${r1(r.steadySeconds)} s of steady state (${r.recipients.toLocaleString('en-US')} recipients, default settings); machine ${r1(r.busyCores)} cores busy`,
      }),
      figure({
        id: `${id}.max-window`,
        section,
        name: `${who}: 1 channel, busiest 1-s window of requests`,
        value: r.maxRequestsInAnySecond,
        unit: 'req',
        target: { op: '<=', value: r.mps },
        note: `accepted messages: ${r.maxAcceptedInAnySecond} in the busiest second; 130429 from the sandbox's limiter: ${r.throttled}`,
      }),
    );
  }
  return figures;
}

/** The scaling table itself: one row per worker count, the backends side by side. */
export function formatScalingTable(runs: readonly ScalingRun[]): string {
  const backends = [...new Set(runs.map((r) => r.backend))];
  const counts = [...new Set(runs.map((r) => r.workers))].sort((a, b) => a - b);
  const header = ['workers', ...backends.flatMap((b) => [`${b}: msg/s (4 ch.)`, 'rate / limit', 'busiest 1 s', '130429'])];
  const rows = counts.map((n) => [
    String(n),
    ...backends.flatMap((b) => {
      const run = runs.find((r) => r.backend === b && r.workers === n);
      if (!run) return ['-', '-', '-', '-'];
      return [
        run.aggregate.steadyRate === null ? '-' : formatNumber(Math.round(run.aggregate.steadyRate)),
        run.rate.ratio === null ? '-' : `${(run.rate.ratio * 100).toFixed(2)} %`,
        String(run.rate.maxRequestsInAnySecond),
        String(run.rate.throttled),
      ];
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [
    'scaling (issue 9): aggregate steady msg/s with 4 channels × 1,000 msg/s demanded; rate accuracy of 1 channel limited to 1,000 msg/s (target ≥ 97 %, busiest second ≤ 1,000, no 130429)',
    line(header),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...rows.map(line),
  ].join('\n');
}
