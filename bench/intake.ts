/**
 * Section 3: intake at scale. A CSV of generated recipients with two parameter columns goes
 * through the real command, `litecast campaign create … --json`, in a child process, from file to
 * every batch enqueued. Measured: wall time and the peak RSS of that process, for the large list
 * and for a list ten times smaller (memory must not grow with the list). No worker runs, and the
 * campaign's keys (a million-field hash and ten thousand batches) are deleted afterwards.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { createChannelStore } from '../src/shared/channel-store.ts';
import { createKeys } from '../src/shared/keys.ts';
import { createSecretBox } from '../src/shared/secret-box.ts';
import { dropNamespace, newNamespace } from './namespace.ts';
import { CSV_HEADER, recipientLine } from './pipeline.ts';
import { litecastEnv, runNode } from './processes.ts';
import { figure, type Figure } from './report.ts';
import { BENCH_COMPONENTS, BENCH_TEMPLATE } from './sandbox-process.ts';

const CHILD = fileURLToPath(new URL('./intake-child.ts', import.meta.url));

export type IntakeRun = {
  recipients: number;
  fileMiB: number;
  /** Spawn to exit of the command, Node start-up included. */
  wallSeconds: number;
  /** The process's own uptime at exit and CPU time. */
  processSeconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  /** Heap still in use at exit after a full GC: what the process retained. */
  heapAfterGcMiB: number | null;
  batches: number;
  batchJobsEnqueued: number;
  accepted: number;
};

/** Writes `count` generated recipients to a CSV file. */
async function writeCsv(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${CSV_HEADER}\n`);
  const chunk = 10_000;
  for (let start = 0; start < count; start += chunk) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) lines.push(recipientLine(i));
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function runIntake(redisUrl: string, redis: Redis, dir: string, count: number): Promise<IntakeRun> {
  const csv = path.join(dir, `recipients-${count}.csv`);
  const components = path.join(dir, 'components.json');
  await writeCsv(csv, count);
  await writeFile(components, JSON.stringify(BENCH_COMPONENTS));
  const namespace = newNamespace(`intake${count}`);
  const keys = createKeys(namespace);
  try {
    // The channel must exist for intake; nothing is sent, and the template check is skipped (it
    // lists templates over HTTP), so its URL is never called: what is measured is file to queue.
    await createChannelStore(redis, keys, createSecretBox(undefined)).add({ id: 'intake', baseUrl: 'http://127.0.0.1:9', apiKey: 'unused', mps: 80 });
    const args = ['--expose-gc', '--import', 'tsx', CHILD, 'campaign', 'create', '--channel', 'intake', '--template', BENCH_TEMPLATE.name, '--language', BENCH_TEMPLATE.language];
    args.push('--recipients', csv, '--components', components, '--ttl', '43200', '--skip-template-check', '--json');
    const run = await runNode(args, litecastEnv(redisUrl, namespace, { LOG_LEVEL: 'warn' }));
    if (run.code !== 0) throw new Error(`litecast campaign create exited with ${run.code}: ${run.stderr.slice(-2_000)}`);
    const summary = JSON.parse(run.stdout.trim()) as { id: string; accepted: number; batches: number };
    const usageLine = run.stderr.split('\n').find((l) => l.startsWith('BENCH_RUSAGE '));
    if (!usageLine) throw new Error('the intake process did not report its resource usage');
    const usage = JSON.parse(usageLine.slice('BENCH_RUSAGE '.length)) as { maxRssKiB: number; uptimeMs: number; cpuMs: number; heapUsedAfterGcKiB: number | null };
    // "All batches enqueued": count the batch jobs waiting in the queue.
    // Batches with a priority wait in BullMQ's `prioritized` set, the others in its `wait` list.
    const queueKey = `${keys.queuePrefix}:${keys.sendQueue}`;
    const batchJobsEnqueued = (await redis.llen(`${queueKey}:wait`)) + (await redis.zcard(`${queueKey}:prioritized`));
    return {
      recipients: count,
      fileMiB: Math.round(((await stat(csv)).size / 2 ** 20) * 10) / 10,
      wallSeconds: run.wallMs / 1000,
      processSeconds: usage.uptimeMs / 1000,
      cpuSeconds: usage.cpuMs / 1000,
      peakRssMiB: Math.round((usage.maxRssKiB / 1024) * 10) / 10,
      heapAfterGcMiB: usage.heapUsedAfterGcKiB === null ? null : Math.round((usage.heapUsedAfterGcKiB / 1024) * 10) / 10,
      batches: summary.batches,
      batchJobsEnqueued,
      accepted: summary.accepted,
    };
  } finally {
    await dropNamespace(redisUrl, namespace);
    await rm(csv, { force: true });
  }
}

export async function measureIntake(options: { redisUrl: string; redis: Redis; large: number; small: number }): Promise<{ figures: Figure[]; runs: IntakeRun[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'litecast-bench-intake-'));
  try {
    const small = await runIntake(options.redisUrl, options.redis, dir, options.small);
    const large = await runIntake(options.redisUrl, options.redis, dir, options.large);
    for (const run of [small, large]) {
      if (run.accepted !== run.recipients || run.batchJobsEnqueued !== run.batches) {
        throw new Error(`intake of ${run.recipients}: ${run.accepted} accepted, ${run.batchJobsEnqueued} of ${run.batches} batch jobs enqueued`);
      }
    }
    const section = '3. intake';
    const n = (count: number) => count.toLocaleString('en-US');
    // The 20 s target is for a million recipients; a smaller list (quick mode) is reported without
    // a verdict, since Node's start-up (~0.7 s here) weighs too much in a scaled-down budget.
    const millionOrMore = options.large >= 1_000_000;
    const figures = [
      figure({
        id: 'intake.large.wall',
        section,
        name: `${n(large.recipients)} recipients: file to all batches enqueued`,
        value: round(large.wallSeconds, 2),
        unit: 's',
        ...(millionOrMore ? { target: { op: '<=' as const, value: 20 } } : {}),
        note: `${n(Math.round(large.recipients / large.wallSeconds))} recipients/s; the process's own run time ${round(large.processSeconds, 2)} s, CPU ${round(large.cpuSeconds, 2)} s${millionOrMore ? '' : '; the 20 s target applies to 1,000,000 (full mode)'}`,
      }),
      figure({ id: 'intake.large.peak-rss', section, name: `${n(large.recipients)} recipients: peak RSS of the intake process`, value: large.peakRssMiB, unit: 'MiB', target: { op: '<=', value: 300 } }),
      figure({ id: 'intake.small.peak-rss', section, name: `${n(small.recipients)} recipients: peak RSS (for comparison)`, value: small.peakRssMiB, unit: 'MiB' }),
      figure({
        id: 'intake.rss-growth',
        section,
        name: `peak RSS growth for ${round(large.recipients / small.recipients, 0)}× the recipients`,
        value: round(large.peakRssMiB / small.peakRssMiB, 2),
        unit: '×',
        note: 'the peak depends on when the GC runs; whether memory grows with the list is judged on the retained heap below',
      }),
      // "Memory must not grow with the list": what the process still holds after a full GC at the
      // end. A list kept in memory would multiply it by about the list ratio; allow 25 % of noise.
      figure({
        id: 'intake.heap-growth',
        section,
        name: `heap retained at exit after a full GC, ${n(large.recipients)} vs ${n(small.recipients)} recipients`,
        value: large.heapAfterGcMiB === null || small.heapAfterGcMiB === null ? null : round(large.heapAfterGcMiB / small.heapAfterGcMiB, 2),
        unit: '×',
        target: { op: '<=', value: 1.25 },
        note: `${large.heapAfterGcMiB} MiB vs ${small.heapAfterGcMiB} MiB`,
      }),
    ];
    return { figures, runs: [small, large] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
