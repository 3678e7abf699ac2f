/**
 * `npm run bench [-- --quick] [-- --only rate,throughput,intake,webhooks,scaling,pacing] [-- --out FILE]
 *  [-- --profile-workers DIR] [-- --profile-webhooks DIR] [-- --cluster] [-- --cluster-url URL]`
 *
 * Runs litecast's benchmarks (issue 6) against the Redis at REDIS_URL (default
 * redis://127.0.0.1:6379) and the sandbox over loopback, prints one table row per figure, and
 * writes every figure with its target and verdict, the machine and the raw details to
 * bench/results.json. Each figure is measured in the same run as the reference it is compared
 * with: the machine is shared and absolute times drift. Keys live in fresh namespaces, deleted
 * afterwards; child processes are stopped by pid, on failure too.
 */
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { measureIntake } from './intake.ts';
import { describeMachine, formatMachine } from './machine.ts';
import { dropLiveNamespaces } from './namespace.ts';
import { killAllChildren, ROOT } from './processes.ts';
import { measureRateAccuracy } from './rate-accuracy.ts';
import { formatPacingTable, measurePacing, pacingRows, type PacingRun } from './pacing.ts';
import { combineRawCapacity, measureRawCapacity } from './raw-capacity.ts';
import { redisCostDetails, redisCostFigures } from './redis-cost.ts';
import { formatTable, summarize, writeResults, type BenchResults, type Figure } from './report.ts';
import { describeScale, FULL, QUICK } from './scale.ts';
import { runThroughput, throughputFigures } from './throughput.ts';
import { webhookFigures } from './webhook-figures.ts';
import { runWebhookIngestion } from './webhook-ingestion.ts';
import { startBenchCluster, stopStartedCluster, type BenchCluster } from './redis-cluster.ts';
import { formatScalingTable, measureScaling, scalingFigures, type Backend, type ScalingRun } from './scaling.ts';

const SECTIONS = ['rate', 'throughput', 'intake', 'webhooks', 'scaling', 'pacing'] as const;
type Section = (typeof SECTIONS)[number];

type Options = {
  quick: boolean;
  only: Set<Section>;
  out: string;
  profileWorkers: string | undefined;
  profileWebhooks: string | undefined;
  /** Section 6 on a cluster too, also in quick mode. */
  cluster: boolean;
  /** An existing cluster for section 6 (else the benchmark starts one, and stops it). */
  clusterUrl: string | undefined;
};

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, only: new Set(SECTIONS), out: fileURLToPath(new URL('./results.json', import.meta.url)), profileWorkers: undefined, profileWebhooks: undefined, cluster: false, clusterUrl: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '') throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg.startsWith('--only')) {
      const wanted = value().split(',');
      const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
      if (unknown.length > 0) throw new Error(`--only: unknown section(s) ${unknown.join(', ')}; use ${SECTIONS.join(', ')}`);
      options.only = new Set(wanted as Section[]);
    } else if (arg.startsWith('--out')) options.out = value();
    else if (arg.startsWith('--profile-workers')) options.profileWorkers = value();
    else if (arg.startsWith('--profile-webhooks')) options.profileWebhooks = value();
    else if (arg === '--cluster') options.cluster = true;
    else if (arg.startsWith('--cluster-url')) {
      options.clusterUrl = value();
      options.cluster = true;
    }
    else if (arg === '--help' || arg === '-h') {
      console.log(`usage: npm run bench -- [--quick] [--only ${SECTIONS.join(',')}] [--out FILE] [--profile-workers DIR] [--profile-webhooks DIR] [--cluster] [--cluster-url URL]`);
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (try --help)`);
  }
  return options;
}

const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)}  ${line}`);

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const scale = options.quick ? QUICK : FULL;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const startedAt = new Date();
  const figures: Figure[] = [];
  const details: Record<string, unknown> = { scale };
  let failure: unknown;
  let scalingRuns: ScalingRun[] = [];
  let pacingRuns: PacingRun[] = [];

  const machine = await describeMachine(redis, redisUrl, ROOT);
  console.log(`litecast benchmark, ${options.quick ? 'QUICK mode: everything scaled down, figures are indicative only; run without --quick for the real ones' : 'full mode'}`);
  console.log(`machine: ${formatMachine(machine)}`);
  console.log(`sizes:\n  ${describeScale(scale)}\n`);

  try {
    if (options.only.has('rate')) {
      log('1. rate accuracy…');
      const { figures: f, runs } = await measureRateAccuracy({ redisUrl, workerCounts: scale.rate.workerCounts, limits: scale.rate.limits });
      figures.push(...f);
      details.rateAccuracy = runs;
      const tuned = scale.rate.tuned;
      if (tuned) {
        log(`1. rate accuracy, tuned: LITECAST_RATE_MARGIN=${tuned.margin}…`);
        const label = `tuned, margin ${tuned.margin}`;
        const t = await measureRateAccuracy({ redisUrl, workerCounts: tuned.workerCounts, limits: scale.rate.limits, workerEnv: { LITECAST_RATE_MARGIN: String(tuned.margin) }, label });
        figures.push(...t.figures);
        details.rateAccuracyTuned = { margin: tuned.margin, runs: t.runs };
      }
    }
    if (options.only.has('pacing')) {
      const { figures: f, runs } = await measurePacing({ redisUrl, quick: options.quick, log });
      figures.push(...f);
      details.pacing = runs;
      pacingRuns = runs;
    }
    if (options.only.has('throughput')) {
      // The reference is measured just before and just after the pipeline, and averaged.
      log('2. throughput: raw loopback capacity…');
      const rawBefore = await measureRawCapacity(scale.raw);
      log(`   ${Math.round(rawBefore.requestsPerSecond)} req/s; now the pipeline…`);
      const result = await runThroughput(redisUrl, redis, {
        label: 'defaults',
        ...scale.throughput,
        ...(options.profileWorkers ? { workerNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.profileWorkers}`] } : {}),
      });
      // Tuned: the queue is first-in first-out and a batch holds its worker slot while it waits for
      // its channel's limiter, so with the default 8 slots per worker the channels mostly take
      // turns. Giving every batch a slot makes all channels send at once: the CPU limit shows.
      const t = scale.throughput;
      const concurrency = Math.ceil((t.channels * Math.ceil(t.recipientsPerChannel / 100)) / t.workers);
      log(`   ${Math.round(result.timeline.steadyRate ?? 0)} msg/s; tuned pipeline (LITECAST_WORKER_CONCURRENCY=${concurrency})…`);
      const tuned = await runThroughput(redisUrl, redis, {
        label: 'tuned',
        description: `LITECAST_WORKER_CONCURRENCY=${concurrency}`,
        ...t,
        workerEnv: { LITECAST_WORKER_CONCURRENCY: String(concurrency) },
      });
      log(`   ${Math.round(tuned.timeline.steadyRate ?? 0)} msg/s; raw loopback capacity again…`);
      const raw = combineRawCapacity([rawBefore, await measureRawCapacity(scale.raw)]);
      figures.push(...throughputFigures(raw, result), ...throughputFigures(raw, tuned), ...redisCostFigures(result));
      const withoutRedis = (r: typeof result) => ({ ...r, redis: undefined });
      details.throughput = {
        raw,
        pipeline: withoutRedis(result),
        tuned: withoutRedis(tuned),
        ...(options.profileWorkers ? { profiledWith: '--cpu-prof: CPU figures include profiling overhead' } : {}),
      };
      details.redisCost = redisCostDetails(result);
      details.redisCostTuned = redisCostDetails(tuned);
    }
    if (options.only.has('intake')) {
      log(`3. intake of ${scale.intake.small.toLocaleString('en-US')} and ${scale.intake.large.toLocaleString('en-US')} recipients…`);
      const { figures: f, runs } = await measureIntake({ redisUrl, redis, ...scale.intake });
      figures.push(...f);
      details.intake = runs;
    }
    if (options.only.has('webhooks')) {
      log('4. webhook ingestion…');
      const result = await runWebhookIngestion({
        redisUrl,
        redis,
        scale: scale.webhooks,
        log,
        ...(options.profileWebhooks ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.profileWebhooks}`] } : {}),
      });
      figures.push(...webhookFigures(result));
      details.webhooks = { ...result, ...(options.profileWebhooks ? { profiledWith: '--cpu-prof: CPU figures include profiling overhead' } : {}) };
    }
    if (options.only.has('scaling')) {
      const withCluster = scale.scaling.cluster || options.cluster;
      const backends: Array<{ backend: Backend; redisUrl: string }> = [{ backend: 'single Redis', redisUrl }];
      let cluster: BenchCluster | undefined;
      if (withCluster) {
        if (options.clusterUrl) backends.push({ backend: 'cluster', redisUrl: options.clusterUrl });
        else {
          cluster = await startBenchCluster();
          backends.push({ backend: 'cluster', redisUrl: cluster.url });
        }
      }
      log(`6. scaling: ${scale.scaling.workerCounts.join(', ')} workers on ${backends.map((b) => (b.backend === 'cluster' ? `the cluster (${b.redisUrl}${cluster ? (cluster.startedHere ? ', started for this run' : ', already running') : ', given'})` : 'the single Redis')).join(' and on ')}…`);
      try {
        scalingRuns = await measureScaling({ scale: scale.scaling, backends, log });
      } finally {
        await cluster?.stop();
      }
      figures.push(...scalingFigures(scalingRuns));
      details.scaling = { backends: backends.map((b) => ({ ...b, ...(b.backend === 'cluster' ? { startedHere: cluster?.startedHere ?? false } : {}) })), runs: scalingRuns };
    }
  } catch (error) {
    failure = error;
    killAllChildren();
    await dropLiveNamespaces(redisUrl);
    await stopStartedCluster();
  }

  // Sections in the issue's order, whatever order they ran in.
  figures.sort((a, b) => a.section.localeCompare(b.section));
  const finishedAt = new Date();
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    mode: options.quick ? 'quick' : 'full',
    machine,
    figures,
    details: failure ? { ...details, error: String((failure as Error).stack ?? failure) } : details,
  };
  await writeResults(options.out, results);
  redis.disconnect();

  console.log(`\n${formatTable(figures)}\n`);
  if (scalingRuns.length > 0) console.log(`${formatScalingTable(scalingRuns)}\n`);
  if (pacingRuns.length > 0) console.log(`time · steady rate / limit (or usable) · busiest second requests/accepted · refused 130429\n${formatPacingTable(pacingRows(options.quick), pacingRuns)}\n`);
  console.log(summarize(figures));
  console.log(`\n${options.quick ? 'quick' : 'full'} run took ${results.durationSeconds} s; results in ${options.out}`);
  if (failure) {
    console.error(`\nbenchmark failed: ${(failure as Error).stack ?? String(failure)}`);
    return 1;
  }
  return 0;
}

// A Ctrl-C must not leave workers, sandboxes or keys behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    void dropLiveNamespaces(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
      .then(() => stopStartedCluster())
      .finally(() => process.exit(130));
  });
}

process.exitCode = await main();
