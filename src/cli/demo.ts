/**
 * `litecast demo`: the quick start's main job. Against local Redis it starts the sandbox, the API
 * (webhook receiver) and a pool of worker processes, adds a channel, lets a few customers opt out,
 * sends a campaign of generated recipients (some not eligible for MM Lite, some failing), shows
 * live progress, waits for the delivery webhooks and prints the funnel per route.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { createCampaign } from '../producer/create-campaign.ts';
import { readRecipients } from '../producer/read-recipients.ts';
import { createSandbox } from '../sandbox/index.ts';
import type { Config } from '../shared/config.ts';
import { describeCampaign } from '../report/campaign-report.ts';
import { funnelTable } from './funnel-table.ts';
import { startApi } from '../api/start-api.ts';
import { createAppContext } from '../shared/app-context.ts';
import { watchProgress } from './progress.ts';
import { cliProcessArgs } from '../shared/cli-process-args.ts';

export type DemoOptions = {
  recipients: number;
  workers: number;
  mps: number;
  out: (line: string) => void;
  /** Environment the worker processes inherit (the CLI run's environment). */
  env: Readonly<Record<string, string | undefined>>;
  /** Draw progress bars (only on a terminal). */
  tty: boolean;
};

/** Demo recipients: 10% not eligible for MM Lite (55…), 3% undeliverable (4479…), 2% withheld later by Meta (4478…). */
export function demoPhone(i: number): string {
  const n = String(i).padStart(8, '0');
  return i % 10 === 3 ? `5511${n}` : i % 33 === 7 ? `4479${n}` : i % 50 === 9 ? `4478${n}` : `4470${n}`;
}

export function demoRecipientsCsv(count: number): string {
  const lines = ['phone,name'];
  for (let i = 0; i < count; i++) lines.push(`${demoPhone(i)},Customer ${i}`);
  return lines.join('\n');
}

function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliProcessArgs(['worker']), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    const onData = (data: Buffer) => {
      output += data.toString();
      if (output.includes('worker ready')) {
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`demo worker exited with ${code} before it was ready:\n${output.slice(-2000)}`)));
  });
}

export async function runDemo(config: Config, logger: Logger, options: DemoOptions): Promise<void> {
  const { out } = options;
  // The demo runs its own API with throwaway secrets, so webhooks are authenticated as in production.
  const apiConfig: Config = Object.freeze({ ...config, apiToken: randomBytes(16).toString('hex'), webhookSecret: randomBytes(12).toString('hex') });
  const api = await startApi(apiConfig, logger, { port: 0, host: '127.0.0.1' });
  const ctx = await createAppContext(config, logger);
  const apiKey = `demo-${randomBytes(6).toString('hex')}`;
  const sandbox = await createSandbox({
    config: {
      channels: [{ apiKey, mps: options.mps }],
      liteIneligibleRecipients: ['55*'],
      recipientErrors: [
        { match: '4479*', code: 131026 },
        { match: '4478*', code: 131049, async: true },
      ],
      faults: [{ rate: 0.02, effect: { type: 'http', status: 500 } }],
      webhook: { url: `${api.url}/webhooks/360dialog/demo`, headers: { 'x-litecast-webhook-secret': apiConfig.webhookSecret as string }, readRate: 0.6, clickRate: 0.25, duplicateRate: 0.05, outOfOrderRate: 0.05 },
      recordPayloads: false,
    },
  });
  const workers: ChildProcess[] = [];
  try {
    out(`sandbox (a local stand-in for 360dialog) on ${sandbox.url}; API on ${api.url}`);
    await ctx.channels.add({ id: 'demo', baseUrl: sandbox.url, apiKey, mps: options.mps }, { replace: true });
    out(`channel "demo": ${options.mps} messages/second`);
    const env = { ...options.env, REDIS_URL: config.redisUrl, LITECAST_NAMESPACE: config.namespace, LOG_LEVEL: 'info' };
    workers.push(...(await Promise.all(Array.from({ length: options.workers }, () => startWorkerProcess(env)))));
    out(`${workers.length} worker processes started`);

    // A few customers opt out of marketing before the campaign: the campaign must skip them.
    const optOuts = Array.from({ length: 5 }, (_, i) => demoPhone(i * 97 + 1));
    for (const from of optOuts) sandbox.emitUserPreference({ from, value: 'stop' });
    await sandbox.flushWebhooks();
    await waitUntil(async () => (await ctx.redis.smismember(ctx.keys.channelSuppressed('demo'), ...optOuts)).every((flag) => flag === 1), 15_000);
    out(`${optOuts.length} customers opted out (user_preferences webhook): they will be skipped`);

    const summary = await createCampaign(
      ctx,
      {
        channelId: 'demo',
        template: { name: 'litecast_promo', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] }] },
        ttlSeconds: 86_400,
        // A 20% holdout through the Cloud API, to compare the two routes on the same audience.
        route: 'split',
        cloudShare: 20,
      },
      readRecipients(Readable.from([demoRecipientsCsv(options.recipients)]), 'csv'),
    );
    out(`campaign ${summary.id}: ${summary.counts.total} recipients in ${summary.batches} batches, 20% of them a Cloud API holdout`);
    await watchProgress(ctx.campaigns, summary.id, { out, until: (s) => s.state === 'completed' || s.state === 'cancelled', timeoutMs: 120_000, tty: options.tty });

    out('waiting for the delivery webhooks…');
    await sandbox.flushWebhooks();
    let last = '';
    await waitUntil(async () => {
      const report = await describeCampaign(ctx, summary.id);
      const now = JSON.stringify([report.counts.delivered, report.counts.read, report.counts.clicked, report.funnel.lite.failed]);
      const settled = now === last && sandbox.stats().webhooksPending === 0;
      last = now;
      return settled;
    }, 30_000, 750);

    const report = await describeCampaign(ctx, summary.id);
    const c = report.counts;
    out('');
    out(`sent ${c.sent} of ${c.total}: ${c.sentLite} through MM Lite, ${c.sentCloud} through the Cloud API (${c.fallbacks} fallbacks); failed ${c.failed}, suppressed ${c.suppressed}, unknown ${c.unknown}`);
    out('');
    for (const line of funnelTable(report)) out(line);
    out('');
    out(`errors by code: ${report.errorsByCode.map((e) => `${e.code} ×${e.count} (${e.class ?? '?'}: ${e.meaning ?? 'see the README'})`).join(', ') || 'none'}`);
    const stats = sandbox.stats();
    out(`sandbox: ${stats.accepted} messages accepted, ${stats.duplicates} duplicates, busiest second ${Math.max(...Object.values(stats.perChannel).map((s) => s.maxRequestsInAnySecond))} requests (limit ${options.mps})`);
    out('');
    out('where to look next:');
    out(`  npx litecast campaign report ${summary.id} --html report.html   # the funnel and the comparison as a page to share`);
    out(`  npx litecast campaign status ${summary.id} --json        # the same object GET /v1/campaigns/${summary.id} returns`);
    out(`  npx litecast campaign export ${summary.id} --outcome failed`);
    out('  LITECAST_API_TOKEN=$(openssl rand -hex 16) npx litecast api   # then GET /v1/campaigns, /metrics, /docs with that bearer token');
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((resolve) => (w.exitCode === null ? w.once('exit', resolve) : resolve(undefined)))));
    await sandbox.close();
    await api.close();
    await ctx.close();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
