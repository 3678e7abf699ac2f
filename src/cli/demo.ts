/**
 * `litecast demo`: the quick start's main job. Against local Redis it starts the sandbox and a
 * pool of worker processes, adds a channel, sends a campaign of generated recipients (some not
 * eligible for MM Lite, some failing), shows live progress, and prints the outcome per route.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createCampaign } from '../producer/create-campaign.ts';
import { readRecipients } from '../producer/read-recipients.ts';
import { createSandbox } from '../sandbox/index.ts';
import type { Config } from '../shared/config.ts';
import { campaignStatus } from '../shared/campaign-status.ts';
import { createAppContext } from './app-context.ts';
import { watchProgress } from './progress.ts';

export type DemoOptions = { recipients: number; workers: number; mps: number; out: (line: string) => void };

const BIN = fileURLToPath(new URL('../../bin/litecast.js', import.meta.url));

/** Demo recipients: 10% not eligible for MM Lite (55…), 3% undeliverable (4479…), the rest eligible. */
export function demoRecipientsCsv(count: number): string {
  const lines = ['phone,name'];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(8, '0');
    const phone = i % 10 === 3 ? `5511${n}` : i % 33 === 7 ? `4479${n}` : `4470${n}`;
    lines.push(`${phone},Customer ${i}`);
  }
  return lines.join('\n');
}

function startWorkerProcess(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
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
  const ctx = await createAppContext(config, logger);
  const apiKey = `demo-${randomBytes(6).toString('hex')}`;
  const sandbox = await createSandbox({
    config: {
      channels: [{ apiKey, mps: options.mps }],
      liteIneligibleRecipients: ['55*'],
      recipientErrors: [{ match: '4479*', code: 131026 }],
      faults: [{ rate: 0.02, effect: { type: 'http', status: 500 } }],
      recordPayloads: false,
    },
  });
  const workers: ChildProcess[] = [];
  try {
    out(`sandbox (a local stand-in for 360dialog) on ${sandbox.url}`);
    await ctx.channels.add({ id: 'demo', baseUrl: sandbox.url, apiKey, mps: options.mps }, { replace: true });
    out(`channel "demo": ${options.mps} messages/second`);
    const env = { ...process.env, REDIS_URL: config.redisUrl, LITECAST_NAMESPACE: config.namespace, LOG_LEVEL: 'info' };
    workers.push(...(await Promise.all(Array.from({ length: options.workers }, () => startWorkerProcess(env)))));
    out(`${workers.length} worker processes started`);

    const summary = await createCampaign(
      ctx,
      {
        channelId: 'demo',
        template: { name: 'litecast_promo', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] }] },
        ttlSeconds: 86_400,
      },
      readRecipients(Readable.from([demoRecipientsCsv(options.recipients)]), 'csv'),
    );
    out(`campaign ${summary.id}: ${summary.counts.total} recipients in ${summary.batches} batches`);
    await watchProgress(ctx.campaigns, summary.id, { out, until: (s) => s.state === 'completed' || s.state === 'cancelled', timeoutMs: 120_000 });

    const status = await campaignStatus(ctx.campaigns, summary.id);
    const c = status.counts;
    out('');
    out('route        sent   fallbacks   failed');
    out(`MM Lite   ${String(c.sentLite).padStart(7)}   ${'-'.padStart(9)}   ${String(c.failed).padStart(6)}`);
    out(`Cloud API ${String(c.sentCloud).padStart(7)}   ${String(c.fallbacks).padStart(9)}   ${'-'.padStart(6)}`);
    out(`errors by code: ${Object.entries(status.errors).map(([code, n]) => `${code} ×${n}`).join(', ') || 'none'}`);
    const stats = sandbox.stats();
    out(`sandbox: ${stats.accepted} messages accepted, ${stats.duplicates} duplicates, busiest second ${Math.max(...Object.values(stats.perChannel).map((s) => s.maxRequestsInAnySecond))} requests (limit ${options.mps})`);
    out(`next: litecast campaign status ${summary.id} --json`);
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((resolve) => (w.exitCode === null ? w.once('exit', resolve) : resolve(undefined)))));
    await sandbox.close();
    await ctx.close();
  }
}
