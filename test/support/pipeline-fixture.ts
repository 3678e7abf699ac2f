/**
 * A campaign pipeline for integration tests: a sandbox, an app context on a fresh namespace, one
 * channel, and helpers to create campaigns, run workers (in-process or as real child processes)
 * and read back the ledger.
 */
import { Readable } from 'node:stream';
import { createAppContext, type AppContext } from '../../src/shared/app-context.ts';
import { createCampaign, type CampaignOptions } from '../../src/producer/create-campaign.ts';
import { readRecipients } from '../../src/producer/read-recipients.ts';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { PARTITION_KEYS, type Counts } from '../../src/shared/campaign.ts';
import type { Config } from '../../src/shared/config.ts';
import { decodeLedgerValue, type LedgerEntry } from '../../src/ledger/ledger.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { startWorker, type WorkerHandle } from '../../src/worker/start-worker.ts';
import { startLitecast, type LongRunning } from './spawn-litecast.ts';
import { childEnv, dropNamespace, testConfig } from './test-env.ts';
import { waitFor } from './wait-for.ts';

export type PipelineFixture = {
  sandbox: Sandbox;
  config: Config;
  ctx: AppContext;
  channelId: string;
  createCampaign(csv: string, options?: Partial<CampaignOptions>): Promise<string>;
  startInProcessWorker(env?: Record<string, string>): Promise<WorkerHandle>;
  startWorkerProcess(env?: Record<string, string>, args?: string[]): Promise<LongRunning>;
  waitForState(id: string, state: string, timeoutMs?: number): Promise<void>;
  /**
   * Resolves once no batch job is running. Use after a pause or cancel: the running batches have
   * parked or closed out mid-way, and a batch taken from the queue from then on parks or closes
   * out without sending (it reads the campaign's state first), so nothing more is sent.
   */
  waitForBatchesStopped(timeoutMs?: number): Promise<void>;
  ledger(id: string): Promise<Map<string, LedgerEntry>>;
  close(): Promise<void>;
};

export const PROMO_COMPONENTS = [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] }];

export async function createPipelineFixture(options: {
  mps: number;
  sandboxConfig?: Record<string, unknown>;
  /** More settings of the sandbox's channel (e.g. `inboundMps`). */
  sandboxChannel?: Record<string, unknown>;
  env?: Record<string, string>;
}): Promise<PipelineFixture> {
  const apiKey = `key-${Math.random().toString(36).slice(2)}`;
  const sandbox = await createSandbox({ config: { channels: [{ apiKey, mps: options.mps, ...options.sandboxChannel }], ...options.sandboxConfig } });
  const config = testConfig(options.env);
  const ctx = await createAppContext(config, createLogger({ level: 'silent' }));
  const channelId = 'main';
  await ctx.channels.add({ id: channelId, baseUrl: sandbox.url, apiKey, mps: options.mps });
  const workers: WorkerHandle[] = [];
  const processes: LongRunning[] = [];

  const fixture: PipelineFixture = {
    sandbox,
    config,
    ctx,
    channelId,
    async createCampaign(csv, overrides = {}) {
      const summary = await createCampaign(
        ctx,
        { channelId, template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS }, ttlSeconds: 43_200, ...overrides },
        readRecipients(Readable.from([csv]), 'csv'),
      );
      return summary.id;
    },
    async startInProcessWorker(env = {}) {
      const workerConfig = Object.keys(env).length === 0 ? config : testConfig({ ...env, LITECAST_NAMESPACE: config.namespace });
      const worker = startWorker({ config: workerConfig, logger: createLogger({ level: 'silent' }) });
      await worker.ready();
      workers.push(worker);
      return worker;
    },
    async startWorkerProcess(env = {}, args = []) {
      const running = await startLitecast(['worker', ...args], childEnv(config, { ...options.env, ...env }), 'worker ready');
      processes.push(running);
      return running;
    },
    async waitForState(id, state, timeoutMs = 60_000) {
      await waitFor(async () => (await ctx.campaigns.get(id))?.state === state, { timeoutMs, what: `campaign ${id} to be ${state}` });
    },
    async waitForBatchesStopped(timeoutMs = 20_000) {
      await waitFor(
        async () => (await ctx.queue.getActiveCount()) === 0,
        { timeoutMs, what: 'no batch running' },
      );
    },
    async ledger(id) {
      const raw = await ctx.redis.hgetall(ctx.keys.campaignLedger(id));
      return new Map(Object.entries(raw).map(([phone, value]) => [phone, decodeLedgerValue(value)]));
    },
    async close() {
      for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.close(5_000)));
      await ctx.close();
      // A test may have replaced the sandbox (an outage and a comeback).
      await fixture.sandbox.close();
      await dropNamespace(config.namespace);
    },
  };
  return fixture;
}

/** A CSV of `n` recipients; `phoneOf(i)` picks each number. */
export function recipientsCsv(n: number, phoneOf: (i: number) => string): string {
  const lines = ['phone,name'];
  for (let i = 0; i < n; i++) lines.push(`${phoneOf(i)},Name${i}`);
  return lines.join('\n');
}

/** Asserts-ready summary: counters, and whether the partition adds up to the total. */
export function partitionSum(counts: Counts): number {
  return PARTITION_KEYS.reduce((sum, key) => sum + counts[key], 0);
}
