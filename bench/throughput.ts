/**
 * Section 2 (throughput against this machine's limit) and section 5 (Redis cost): one campaign per
 * channel on 10 channels allowed 1,000 msg/s each, so 10,000 msg/s are demanded, sent through the
 * whole pipeline (BullMQ queue, Bottleneck limiter, ledger, 360dialog client, sandbox) by real
 * worker processes. Measured: the steady rate at the sandbox, the CPU per message of the workers,
 * of Redis and of the sandbox, and the Redis commands and round trips per message.
 *
 * The recipients are taken in before the workers start, so the measured window holds sending only:
 * Redis is snapshotted before the workers are spawned, the workers' own counters when they are ready.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { openPipeline } from './pipeline.ts';
import type { RawCapacity } from './raw-capacity.ts';
import { figure, type Figure } from './report.ts';
import { cpuSecondsOf, litecastEnv, machineBusySeconds, startWorkers } from './processes.ts';
import { diffRedis, measureBackground, snapshotRedis, type RedisDelta } from './redis-stats.ts';
import type { CounterReport } from './redis-command-counter.ts';
import { sandboxConfig, startSandbox } from './sandbox-process.ts';
import { analyzeTimeline, type Timeline } from './send-timeline.ts';

export type ThroughputScenario = {
  /** "defaults" for the headline run, else a short label shown in the table ("tuned"). */
  label: string;
  /** What differs from the defaults, shown once in the pipeline row. */
  description?: string;
  channels: number;
  mpsPerChannel: number;
  recipientsPerChannel: number;
  workers: number;
  /** Extra worker environment (tuned knobs); empty for the defaults. */
  workerEnv?: Record<string, string>;
  /** Campaign batch size; litecast's default (100) when absent. */
  batchSize?: number;
  sandboxInProcess?: boolean;
  /** Extra node options for the workers, e.g. `--cpu-prof --cpu-prof-dir=…` to see where their time goes. */
  workerNodeArgs?: string[];
};

type Background = { commandsPerSecond: number; cpuPercent: number };

export type ThroughputResult = {
  scenario: ThroughputScenario;
  messages: number;
  wallSeconds: number;
  timeline: Omit<Timeline, 'perSecond'> & { perSecond: number[] };
  /** Mean number of channels that sent something, per whole second of the steady part. */
  meanActiveChannels: number;
  rejectedByCode: Record<string, number>;
  cpu: { workerSeconds: number; redisSeconds: number; sandboxSeconds: number | null };
  /**
   * Cores in use on the whole machine during the run, on average, and how much of that was not the
   * pipeline's (workers, Redis, sandbox, this process): other users of the shared machine.
   */
  machine: { busyCores: number; otherCores: number };
  /** Microseconds of CPU per message sent. */
  cpuPerMessage: { workers: number; redis: number; sandbox: number | null };
  redis: {
    /** Other clients' load just before and just after the run (the server figures below include it). */
    background: { before: Background; after: Background };
    server: RedisDelta;
    /** What the workers sent, counted in their ioredis clients. */
    client: { commands: Record<string, number>; commandCount: number; roundTrips: number };
  };
};

function sumCounters(start: CounterReport[], end: CounterReport[]): { commands: Record<string, number>; commandCount: number; roundTrips: number; cpuSeconds: number } {
  const commands: Record<string, number> = {};
  let roundTrips = 0;
  let cpuSeconds = 0;
  end.forEach((after, i) => {
    const before = start[i] as CounterReport;
    for (const [name, count] of Object.entries(after.commands)) commands[name] = (commands[name] ?? 0) + count - (before.commands[name] ?? 0);
    roundTrips += after.roundTrips - before.roundTrips;
    cpuSeconds += (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  });
  const sorted = Object.fromEntries(Object.entries(commands).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]));
  return { commands: sorted, commandCount: Object.values(sorted).reduce((a, b) => a + b, 0), roundTrips, cpuSeconds };
}

export async function runThroughput(redisUrl: string, redis: Redis, scenario: ThroughputScenario): Promise<ThroughputResult> {
  const channels = Array.from({ length: scenario.channels }, (_, i) => ({
    id: `tp${i}`,
    apiKey: `bench-${randomBytes(6).toString('hex')}`,
    phoneNumberId: String(100_000_000_000_000 + i),
    mps: scenario.mpsPerChannel,
  }));
  const sandbox = await startSandbox(sandboxConfig(channels.map(({ apiKey, phoneNumberId, mps }) => ({ apiKey, phoneNumberId, mps }))), { inProcess: scenario.sandboxInProcess ?? false });
  const pipeline = await openPipeline(redisUrl, 'tput');
  try {
    for (const c of channels) await pipeline.addChannel(c.id, sandbox.url, c.apiKey, c.mps);
    // Taken in together, as ten users starting their campaigns at once would.
    const ids = await Promise.all(channels.map((c) => pipeline.createCampaign(c.id, scenario.recipientsPerChannel, scenario.batchSize !== undefined ? { batchSize: scenario.batchSize } : {})));
    const total = scenario.channels * scenario.recipientsPerChannel;

    const background = await measureBackground(redis);
    const redisBefore = await snapshotRedis(redis);
    const sandboxCpuBefore = scenario.sandboxInProcess ? null : cpuSecondsOf(sandbox.pid);
    const machineBefore = machineBusySeconds();
    const selfBefore = process.cpuUsage();
    const started = Date.now();
    const pool = await startWorkers(scenario.workers, litecastEnv(redisUrl, pipeline.namespace, scenario.workerEnv), scenario.workerNodeArgs);
    let result: ThroughputResult;
    try {
      const countersStart = await Promise.all(pool.workers.map((w) => w.sample()));
      // Watch the sandbox, not Redis, so the wait adds no Redis commands; then confirm in Redis.
      const deadline = Date.now() + Math.max(120_000, (total / 500) * 1000);
      while ((await sandbox.stats()).accepted < total) {
        if (Date.now() > deadline) throw new Error(`throughput run (${scenario.label}) did not finish: ${(await sandbox.stats()).accepted} of ${total} accepted`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await pipeline.waitForCompletion(ids, 30_000, 100);
      const wallSeconds = (Date.now() - started) / 1000;
      const countersEnd = await Promise.all(pool.workers.map((w) => w.sample()));
      const redisAfter = await snapshotRedis(redis);
      const sandboxCpu = sandboxCpuBefore === null ? null : cpuSecondsOf(sandbox.pid) - sandboxCpuBefore;
      const machineBusy = machineBusySeconds() - machineBefore;
      const self = process.cpuUsage(selfBefore);
      const client = sumCounters(countersStart, countersEnd);
      const server = diffRedis(redisBefore, redisAfter);
      // Worker CPU is counted from "ready"; their start-up (before it) is left out of both sides.
      const ours = client.cpuSeconds + server.cpuSeconds + (sandboxCpu ?? 0) + (self.user + self.system) / 1e6;

      const messages = await sandbox.messages();
      const timeline = analyzeTimeline(messages.map((m) => m.acceptedAt));
      const first = messages.reduce((min, m) => Math.min(min, m.acceptedAt), Infinity);
      const activePerSecond = new Map<number, Set<string>>();
      for (const m of messages) {
        const second = Math.floor((m.acceptedAt - first) / 1000);
        let set = activePerSecond.get(second);
        if (!set) activePerSecond.set(second, (set = new Set()));
        set.add(m.channel);
      }
      const steadySeconds = [...activePerSecond.entries()].filter(([s]) => s >= 1 && s < timeline.perSecond.length - 1);
      const meanActiveChannels = steadySeconds.length === 0 ? 0 : steadySeconds.reduce((a, [, set]) => a + set.size, 0) / steadySeconds.length;
      const stats = await sandbox.stats();
      const n = messages.length;
      result = {
        scenario,
        messages: n,
        wallSeconds,
        timeline,
        meanActiveChannels,
        rejectedByCode: stats.rejectedByCode,
        cpu: { workerSeconds: client.cpuSeconds, redisSeconds: server.cpuSeconds, sandboxSeconds: sandboxCpu },
        machine: { busyCores: machineBusy / wallSeconds, otherCores: Math.max(0, machineBusy - ours) / wallSeconds },
        cpuPerMessage: {
          workers: (client.cpuSeconds * 1e6) / n,
          redis: (server.cpuSeconds * 1e6) / n,
          sandbox: sandboxCpu === null ? null : (sandboxCpu * 1e6) / n,
        },
        redis: { background: { before: background, after: background }, server, client: { commands: client.commands, commandCount: client.commandCount, roundTrips: client.roundTrips } },
      };
    } finally {
      await pool.close();
    }
    // Other clients' load once more, now that the workers are gone: the two samples bracket the run.
    result.redis.background.after = await measureBackground(redis);
    return result;
  } finally {
    await sandbox.close();
    await pipeline.close();
  }
}

/** Section 2's figures: the raw reference, the pipeline, their ratio, and CPU per message. */
export function throughputFigures(raw: RawCapacity, result: ThroughputResult): Figure[] {
  const section = '2. throughput';
  const { scenario } = result;
  const headline = scenario.label === 'defaults';
  const label = headline ? '' : `, ${scenario.label}`;
  const id = headline ? 'throughput' : `throughput.${scenario.label.replace(/\W+/g, '-')}`;
  const described = scenario.description ? `${label} (${scenario.description})` : label;
  const rate = result.timeline.steadyRate;
  const demanded = scenario.channels * scenario.mpsPerChannel;
  const figures: Figure[] = [];
  if (headline) {
    figures.push(
      figure({
        id: 'throughput.raw-capacity',
        section,
        name: 'raw loopback capacity (trivial node:http client → server)',
        value: Math.round(raw.requestsPerSecond),
        unit: 'req/s',
        note: `mean of ${raw.samples.map((x) => Math.round(x)).join(' and ')} (before and after the pipeline); ${raw.concurrency} requests in flight, ${raw.payloadBytes}-byte payload; CPU per request: client ${round(raw.clientCpuMicrosPerRequest, 1)} µs, server ${round(raw.serverCpuMicrosPerRequest, 1)} µs`,
      }),
    );
  }
  figures.push(
    figure({
      id: `${id}.pipeline`,
      section,
      name: `pipeline${described}: ${scenario.channels} channels × ${scenario.mpsPerChannel.toLocaleString('en-US')} msg/s, ${scenario.workers} workers: steady rate`,
      value: rate === null ? null : Math.round(rate),
      unit: 'msg/s',
      note: `${demanded.toLocaleString('en-US')} msg/s demanded; ${result.messages.toLocaleString('en-US')} messages in ${round(result.wallSeconds, 1)} s; on average ${round(result.meanActiveChannels, 1)} of ${scenario.channels} channels sending in a steady second`,
    }),
    figure({
      id: `${id}.ratio`,
      section,
      name: `pipeline${label} / raw capacity`,
      value: rate === null ? null : round(rate / raw.requestsPerSecond, 3),
      unit: '',
      target: { op: '>=', value: 0.5 },
    }),
    figure({
      id: `${id}.machine-busy`,
      section,
      name: `cores busy during the run${label} (all processes, of ${os.cpus().length})`,
      value: round(result.machine.busyCores, 2),
      unit: 'cores',
      note: `of which ${round(result.machine.otherCores, 2)} by other processes than the pipeline's (other users of the machine)`,
    }),
    figure({ id: `${id}.cpu-workers`, section, name: `CPU per message${label}: workers (all processes)`, value: round(result.cpuPerMessage.workers, 0), unit: 'µs' }),
    figure({
      id: `${id}.cpu-redis`,
      section,
      name: `CPU per message${label}: Redis`,
      value: round(result.cpuPerMessage.redis, 0),
      unit: 'µs',
      note: backgroundNote(result),
    }),
    figure({ id: `${id}.cpu-sandbox`, section, name: `CPU per message${label}: sandbox (360dialog stand-in)`, value: result.cpuPerMessage.sandbox === null ? null : round(result.cpuPerMessage.sandbox, 0), unit: 'µs' }),
  );
  return figures;
}

/** Other clients' mean load on Redis around the run (the mean of the samples before and after). */
export function backgroundLoad(result: ThroughputResult): Background {
  const { before, after } = result.redis.background;
  return { commandsPerSecond: (before.commandsPerSecond + after.commandsPerSecond) / 2, cpuPercent: (before.cpuPercent + after.cpuPercent) / 2 };
}

/** Says how busy Redis was with other clients around the run (their work is in the server-side figures). */
export function backgroundNote(result: ThroughputResult): string {
  const { before, after } = result.redis.background;
  const mean = backgroundLoad(result);
  const n = result.messages;
  const netCpu = Math.max(0, result.redis.server.cpuSeconds - (mean.cpuPercent / 100) * result.wallSeconds);
  return `other clients' load, sampled before and after: ${before.commandsPerSecond.toLocaleString('en-US')} and ${after.commandsPerSecond.toLocaleString('en-US')} commands/s, ${before.cpuPercent}% and ${after.cpuPercent}% of a core (included; net of it ≈ ${Math.round((netCpu * 1e6) / n)} µs CPU per message)`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
