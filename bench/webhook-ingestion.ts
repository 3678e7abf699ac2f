/**
 * Section 4: webhook ingestion. How many status webhooks litecast takes in and applies per second,
 * how fast it acknowledges them, and how long an acknowledged event waits before it is applied.
 *
 * Set-up, all real processes: a sandbox (360dialog stand-in), `litecast api` (the receiver, its own
 * process) and two `litecast worker` processes (they apply webhook events next to sending). A
 * campaign of generated recipients is first SENT for real through the sandbox, so every recipient's
 * ledger entry is `sent` (its steady send rate is the reference for "≥ 3× the peak send rate").
 * Then a load generator in its own process (`webhook-load.ts`, keep-alive `node:http`, several
 * connections) posts `sent`, `delivered` and `read` statuses for the recipients in Meta's shape, each
 * with `biz_opaque_callback_data` = `lc1:<campaign>:<phone>`, as fast as the API acknowledges them:
 *   - run "50 per POST": 50 statuses of one kind per body, as Meta batches them under load;
 *   - run "1 per POST": one status per body, the other extreme (each run has its own recipients,
 *     so every counter it moves is its own).
 * A short warm-up (statuses for recipients no run uses, in both shapes) comes first and is not measured.
 *
 * Measured per run:
 *   - events (and POSTs) acknowledged per second: from the first POST to the last acknowledgement;
 *   - events applied per second: from the first POST until the campaign's `delivered` and `read`
 *     counters (polled in Redis every 20 ms) reach their expected totals;
 *   - acknowledgement latency p50/p99 per POST (request written → response ended, client side);
 *   - lag from acknowledgement to applied, p50/p99 per body: the stream's bodies added and the
 *     consumer group's acknowledged ones, both sampled every 20 ms (XINFO); the k-th body added
 *     is applied when the acknowledged count reaches k (first in, first out), to within 20 ms;
 *   - CPU per event of the API process, of the workers and of Redis (server-wide, `INFO cpu`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { createEventsStream } from '../src/webhooks/events-stream.ts';
import { openPipeline, type BenchPipeline } from './pipeline.ts';
import { cpuSecondsOf, LITECAST_BIN, litecastEnv, machineBusySeconds, runNode, startNode, startWorkers, type RunningProcess } from './processes.ts';
import { diffRedis, snapshotRedis } from './redis-stats.ts';
import { perPost, redisBackground, redisCpuSeconds, sampleStream, streamLags, weightedQuantiles, type Quantiles, type StreamSample } from './webhook-measures.ts';
import { sandboxConfig, startSandbox } from './sandbox-process.ts';
import { analyzeTimeline } from './send-timeline.ts';
import type { WebhookLoadConfig, WebhookLoadResult } from './webhook-load.ts';

const RAW_PEER = fileURLToPath(new URL('./raw-http-peer.ts', import.meta.url));
const LOAD = fileURLToPath(new URL('./webhook-load.ts', import.meta.url));

export type WebhookScale = {
  /** Recipients of the campaign that is sent first; the runs below take disjoint slices of them. */
  recipients: number;
  /** The channel's limit for that send. */
  sendMps: number;
  workers: number;
  /** Keep-alive connections of the load generator (one POST in flight on each). */
  connections: number;
  warmupRecipients: number;
  /**
   * The measured runs, in order, each on its own recipients. `paced`: POSTs start at the target
   * rate (max(10,000 events/s, 3 × the send rate measured just before)) instead of as fast as
   * acknowledged: the acknowledgement time and the lag are judged there, below saturation.
   * `connections`: the load generator's connections for this run (default: the section's).
   * `rawReference`: the same generator first posts the same bodies to a trivial node:http server
   * answering 200, the reference for "≥ 0.5 × raw loopback capacity".
   */
  runs: Array<{ label: string; recipients: number; statusesPerPost: number; paced?: boolean; connections?: number; rawReference?: boolean }>;
};

export type WebhookIngestionOptions = {
  redisUrl: string;
  redis: Redis;
  scale: WebhookScale;
  /** Node options for the API and worker processes, e.g. `--cpu-prof --cpu-prof-dir=…`. */
  nodeArgs?: string[];
  log?: (line: string) => void;
};

export type WebhookRun = {
  label: string;
  statusesPerPost: number;
  /** Events per second offered (paced runs); null: as fast as acknowledged. */
  pacedEventsPerSecond: number | null;
  connections: number;
  recipients: number;
  posts: number;
  events: number;
  bodyBytesMean: number;
  errors: Record<string, number>;
  ackSeconds: number;
  appliedSeconds: number;
  eventsAckedPerSecond: number;
  postsAckedPerSecond: number;
  eventsAppliedPerSecond: number;
  ackMs: Quantiles;
  /** Per event: the lag of its job, weighted by the job's events. */
  lagMs: Quantiles;
  lagJobs: number;
  /** Jobs that needed more than one attempt (a status before its send's commit: should be 0 here). */
  retriedJobs: number;
  /** The same bodies from the same generator to a trivial node:http server answering 200: events acknowledged per second. */
  rawEventsPerSecond?: number;
  cpuSeconds: { api: number; workers: number; redis: number; generator: number };
  cpuMicrosPerEvent: { api: number; workers: number; redis: number; generator: number };
  machine: { busyCores: number };
  /** Redis's other clients around the run: commands per second before it (the CPU figure includes them). */
  redisBackground: { commandsPerSecond: number; cpuPercent: number };
  /** Redis commands executed per POST (Lua-internal included, server-wide), largest first, and Redis's µs per POST by command. */
  redisCallsPerPost: Record<string, number>;
  redisUsecPerPost: Record<string, number>;
};

export type WebhookResult = {
  sendRate: { steadyRate: number | null; messages: number; mps: number; workers: number };
  runs: WebhookRun[];
  apiUrl: string;
};

/** Starts `litecast api` on a free loopback port. */
async function startApi(env: NodeJS.ProcessEnv, nodeArgs: readonly string[]): Promise<RunningProcess & { url: string }> {
  const proc = await startNode('api', [...nodeArgs, '--import', 'tsx', LITECAST_BIN, 'api', '--port', '0', '--host', '127.0.0.1'], env, /litecast api listening on (http:\/\/[^\s(]+)/);
  return Object.assign(proc, { url: proc.ready[1] as string });
}

export async function runWebhookIngestion(options: WebhookIngestionOptions): Promise<WebhookResult> {
  const { redisUrl, redis, scale } = options;
  const log = options.log ?? (() => undefined);
  const nodeArgs = options.nodeArgs ?? [];
  const used = scale.warmupRecipients + scale.runs.reduce((sum, r) => sum + r.recipients, 0);
  if (used > scale.recipients) throw new Error(`webhook scale: the runs need ${used} recipients, the campaign has ${scale.recipients}`);

  const channel = { id: 'wh', apiKey: `bench-${randomBytes(6).toString('hex')}`, phoneNumberId: '300000000000001', displayPhoneNumber: '15550000001', wabaId: '300000000000002', mps: scale.sendMps };
  const sandbox = await startSandbox(sandboxConfig([{ apiKey: channel.apiKey, phoneNumberId: channel.phoneNumberId, mps: channel.mps }]));
  const pipeline: BenchPipeline = await openPipeline(redisUrl, 'webhooks');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'litecast-bench-webhooks-'));
  const secret = randomBytes(12).toString('hex');
  // Workers log at info ("worker ready" is how their start is seen); nothing is logged per event.
  const env = litecastEnv(redisUrl, pipeline.namespace, { LITECAST_API_TOKEN: randomBytes(16).toString('hex'), LITECAST_WEBHOOK_SECRET: secret });
  const eventsQueue = createEventsStream(pipeline.ctx.redis, pipeline.ctx.keys);
  let api: (RunningProcess & { url: string }) | undefined;
  let pool: Awaited<ReturnType<typeof startWorkers>> | undefined;
  try {
    await pipeline.addChannel(channel.id, sandbox.url, channel.apiKey, channel.mps);
    // Profiled workers are started after the send, so their profiles hold the webhook work only.
    [api, pool] = await Promise.all([startApi(env, nodeArgs), startWorkers(scale.workers, env)]);
    const apiPid = api.pid;

    // 1. Send the campaign for real, so every recipient's ledger entry is `sent`.
    log(`   sending ${scale.recipients.toLocaleString('en-US')} messages for real (the webhooks need sent recipients)…`);
    const campaignId = await pipeline.createCampaign(channel.id, scale.recipients);
    await pipeline.waitForCompletion([campaignId], 60_000 + (scale.recipients / 200) * 1000, 100);
    const counts = await pipeline.ctx.campaigns.counts(campaignId);
    if (counts.sent !== scale.recipients) throw new Error(`webhook set-up: ${counts.sent} of ${scale.recipients} sent (${JSON.stringify(counts)})`);
    const sendTimeline = analyzeTimeline((await sandbox.messages()).map((m) => m.acceptedAt));
    log(`   sent at ${Math.round(sendTimeline.steadyRate ?? 0)} msg/s; posting webhooks…`);
    if (nodeArgs.length > 0) {
      await pool.close();
      pool = await startWorkers(scale.workers, env, nodeArgs);
    }
    const workerPids = pool.workers.map((w) => w.pid);

    const countsKey = pipeline.ctx.keys.campaignCounts(campaignId);
    const readCounters = async () => {
      const [delivered, read] = await pipeline.ctx.redis.hmget(countsKey, 'delivered', 'read');
      return { delivered: Number(delivered ?? 0), read: Number(read ?? 0) };
    };
    const generate = async (label: string, from: number, to: number, statusesPerPost: number, kinds: WebhookLoadConfig['kinds'], postsPerSecond?: number, target?: { url: string; connections: number }): Promise<WebhookLoadResult> => {
      const out = path.join(dir, `${label}.result.json`);
      const config: WebhookLoadConfig = {
        url: target?.url ?? (api as { url: string }).url,
        path: `/webhooks/360dialog/${channel.id}`,
        secret,
        campaignId,
        channel: { phoneNumberId: channel.phoneNumberId, displayPhoneNumber: channel.displayPhoneNumber, wabaId: channel.wabaId },
        from,
        to,
        kinds,
        statusesPerPost,
        connections: target?.connections ?? scale.connections,
        ...(postsPerSecond !== undefined ? { postsPerSecond } : {}),
        out,
      };
      const file = path.join(dir, `${label}.config.json`);
      await writeFile(file, JSON.stringify(config));
      const run = await runNode(['--import', 'tsx', LOAD, file], { PATH: process.env.PATH, HOME: process.env.HOME });
      if (run.code !== 0) throw new Error(`webhook load generator (${label}) failed (${run.code}): ${run.stderr.slice(-2_000)}`);
      return JSON.parse(await readFile(out, 'utf8')) as WebhookLoadResult;
    };
    const drained = async (timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = await eventsQueue.depth();
        if (c.pending + c.unread === 0) return;
        if (Date.now() > deadline) throw new Error(`webhook stream not drained after ${timeoutMs} ms: ${JSON.stringify(c)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    // 2. Warm-up (not measured): the API's and workers' code paths get compiled.
    let next = scale.recipients - scale.warmupRecipients;
    if (scale.warmupRecipients > 0) {
      // Both shapes the runs post: half the warm-up in bodies of 50, half one status per POST.
      const half = next + Math.floor(scale.warmupRecipients / 2);
      await generate('warmup-50', next, half, 50, ['sent', 'delivered', 'read']);
      await generate('warmup-1', half, scale.recipients, 1, ['sent', 'delivered', 'read'], undefined, { url: (api as { url: string }).url, connections: 64 });
      await drained(60_000);
    }

    // 3. The measured runs, each on its own slice of recipients.
    next = 0;
    const runs: WebhookRun[] = [];
    for (const spec of scale.runs) {
      const from = next;
      const to = from + spec.recipients;
      next = to;
      const connections = spec.connections ?? scale.connections;
      let rawEventsPerSecond: number | undefined;
      if (spec.rawReference) {
        // The reference: the same generator and bodies against a trivial server, just before the run.
        const raw = await startNode('raw webhook server', ['--import', 'tsx', RAW_PEER, 'server', 'webhook'], { PATH: process.env.PATH, HOME: process.env.HOME }, /raw server listening on (\d+)/);
        try {
          const ref = await generate(`${spec.label.replace(/\W+/g, '-')}-raw`, from, to, spec.statusesPerPost, ['sent', 'delivered', 'read'], undefined, { url: `http://127.0.0.1:${raw.ready[1]}`, connections });
          rawEventsPerSecond = ref.events / ((ref.lastAckAt - ref.firstPostAt) / 1000);
          log(`   ${spec.label}: raw loopback reference ${Math.round(rawEventsPerSecond)} events/s (${connections} connections)`);
        } finally {
          await raw.stop(5_000);
        }
      }
      const before = await readCounters();
      const background = await redisBackground(redis);
      const pacedEventsPerSecond = spec.paced ? Math.max(10_000, Math.ceil(3 * (sendTimeline.steadyRate ?? 0))) : null;
      const redisBefore = await snapshotRedis(redis);
      const cpuBefore = { api: cpuSecondsOf(apiPid), workers: workerPids.reduce((s, p) => s + cpuSecondsOf(p), 0), redis: await redisCpuSeconds(redis) };
      const machineBefore = machineBusySeconds();
      const runStart = Date.now();
      // Poll the counters while the generator runs (it starts in its own process).
      let appliedAt = 0;
      let polling = true;
      // Bodies added to the stream and acknowledged by the consumer group, sampled through the run.
      const samples: StreamSample[] = [];
      const sampler = (async () => {
        while (polling) {
          samples.push(await sampleStream(pipeline.ctx.redis, pipeline.ctx.keys));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        samples.push(await sampleStream(pipeline.ctx.redis, pipeline.ctx.keys));
      })();
      const expected = { delivered: before.delivered + spec.recipients, read: before.read + spec.recipients };
      const poller = (async () => {
        while (polling) {
          const c = await readCounters();
          if (c.delivered >= expected.delivered && c.read >= expected.read) {
            appliedAt = Date.now();
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const load = await generate(
        spec.label.replace(/\W+/g, '-'),
        from,
        to,
        spec.statusesPerPost,
        ['sent', 'delivered', 'read'],
        pacedEventsPerSecond === null ? undefined : pacedEventsPerSecond / spec.statusesPerPost,
        { url: api.url, connections },
      );
      const deadline = Date.now() + Math.max(60_000, (load.events / 500) * 1000);
      while (appliedAt === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await poller;
      await drained(30_000);
      polling = false;
      await sampler;
      if (appliedAt === 0) throw new Error(`webhook run ${spec.label}: counters did not reach ${JSON.stringify(expected)}: ${JSON.stringify(await readCounters())}`);
      const redisDelta = diffRedis(redisBefore, await snapshotRedis(redis));
      const cpuAfter = { api: cpuSecondsOf(apiPid), workers: workerPids.reduce((s, p) => s + cpuSecondsOf(p), 0), redis: await redisCpuSeconds(redis) };
      const machineBusy = machineBusySeconds() - machineBefore;
      const wall = (Date.now() - runStart) / 1000;

      // Lag per body: when the k-th body of the run was acknowledged by the group minus when it was added.
      const { lags, weights } = streamLags(samples);
      const retriedJobs = 0;
      const cpu = { api: cpuAfter.api - cpuBefore.api, workers: cpuAfter.workers - cpuBefore.workers, redis: cpuAfter.redis - cpuBefore.redis, generator: load.cpuSeconds };
      const perEvent = (s: number) => Math.round((s * 1e6) / load.events);
      const ackSeconds = (load.lastAckAt - load.firstPostAt) / 1000;
      const appliedSeconds = (appliedAt - load.firstPostAt) / 1000;
      const run: WebhookRun = {
        label: spec.label,
        statusesPerPost: spec.statusesPerPost,
        pacedEventsPerSecond,
        connections,
        recipients: spec.recipients,
        ...(rawEventsPerSecond !== undefined ? { rawEventsPerSecond } : {}),
        posts: load.posts,
        events: load.events,
        bodyBytesMean: load.bodyBytesMean,
        errors: load.errors,
        ackSeconds,
        appliedSeconds,
        eventsAckedPerSecond: load.events / ackSeconds,
        postsAckedPerSecond: load.posts / ackSeconds,
        eventsAppliedPerSecond: load.events / appliedSeconds,
        ackMs: weightedQuantiles(load.latenciesMs),
        lagMs: weightedQuantiles(lags, weights),
        lagJobs: lags.length,
        retriedJobs,
        cpuSeconds: cpu,
        cpuMicrosPerEvent: { api: perEvent(cpu.api), workers: perEvent(cpu.workers), redis: perEvent(cpu.redis), generator: perEvent(cpu.generator) },
        machine: { busyCores: machineBusy / wall },
        redisBackground: background,
        redisCallsPerPost: perPost(redisDelta.calls, load.posts),
        redisUsecPerPost: perPost(redisDelta.usec, load.posts),
      };
      log(`   ${spec.label}: ${Math.round(run.eventsAckedPerSecond)} events/s acknowledged, ${Math.round(run.eventsAppliedPerSecond)} applied; ack p99 ${run.ackMs.p99.toFixed(1)} ms, lag p99 ${Math.round(run.lagMs.p99)} ms`);
      runs.push(run);
    }
    return { sendRate: { steadyRate: sendTimeline.steadyRate, messages: sendTimeline.messages, mps: scale.sendMps, workers: scale.workers }, runs, apiUrl: api.url };
  } finally {
    await eventsQueue.close().catch(() => undefined);
    await Promise.allSettled([api?.stop(10_000), pool?.close(), sandbox.close()]);
    await pipeline.close();
    await rm(dir, { recursive: true, force: true });
  }
}
