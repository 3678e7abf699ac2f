/**
 * The `litecast` command. Entry points own the process: signals, exit codes and shutdown order
 * live here and in the command modules, nowhere else.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { renderReportPage } from '../report/render-report-page.ts';
import { loadConfig, readEnvironmentValue, type Config } from '../shared/config.ts';
import { LitecastError, isLitecastError } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { assertRedisReachable } from '../shared/redis.ts';
import { createAppContext, type AppContext } from '../shared/app-context.ts';
import { createCampaign } from '../producer/create-campaign.ts';
import { openRecipientFile } from '../producer/open-recipient-file.ts';
import { cancelCampaign, pauseCampaign, resumeCampaign } from '../producer/campaign-actions.ts';
import { campaignStatus } from '../shared/campaign-status.ts';
import { isFinal } from '../shared/campaign-lifecycle.ts';
import { describeCampaign } from '../report/campaign-report.ts';
import { EXPORT_OUTCOMES, exportRecipients, formatRows, type ExportOutcome } from '../producer/export-recipients.ts';
import { retryCampaign } from '../producer/retry-campaign.ts';
import { watchProgress } from './progress.ts';
import { funnelTable } from './funnel-table.ts';
import { once } from 'node:events';
import { startWorker } from '../worker/start-worker.ts';
import { runSandboxFromCli } from '../sandbox/index.ts';

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

function positiveInt(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got "${value}"`);
    return n;
  };
}

let config: Config | undefined;
let logger: Logger | undefined;
function setup(): { config: Config; logger: Logger } {
  config ??= loadConfig();
  // Logs go to stderr so that stdout stays clean for --json and exports.
  logger ??= createLogger({ level: config.logLevel, destination: process.stderr as never, base: { component: 'cli' } });
  return { config, logger };
}

/** Runs a command body with an app context that is always closed afterwards. */
async function withContext<T>(body: (ctx: AppContext) => Promise<T>): Promise<T> {
  const { config, logger } = setup();
  const ctx = await createAppContext(config, logger);
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}

/** Waits for SIGTERM/SIGINT, then runs `stop` with a force-exit timer. */
function onShutdown(stop: () => Promise<void>, forceAfterMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    setup().logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), forceAfterMs);
    force.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        err(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

export function buildProgram(): Command {
  const program = new Command('litecast')
    .description('Send WhatsApp marketing campaigns through 360dialog: MM Lite first, Cloud API fallback, exact per-number rate.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('worker')
    .description('Run a worker process: takes batches from the queue and sends them')
    .option('--concurrency <n>', 'batches worked on at once', positiveInt('--concurrency'))
    .action(async (opts: { concurrency?: number }) => {
      const { config, logger } = setup();
      await assertRedisReachable(config.redisUrl);
      const worker = startWorker({ config, logger: logger.child({ component: 'worker' }), ...(opts.concurrency ? { concurrency: opts.concurrency } : {}) });
      await worker.ready();
      logger.info({ concurrency: opts.concurrency ?? config.workerConcurrency }, 'worker ready');
      onShutdown(() => worker.close(20_000));
    });

  program
    .command('sandbox')
    .description('Run a local stand-in for the 360dialog API (for tests, the demo and benchmarks)')
    .option('--port <port>', 'port to listen on (0 = any free port)', (v) => Number(v), 8090)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--config <file>', 'sandbox configuration (JSON)')
    .action(async (opts: { port: number; host: string; config?: string }) => {
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--port must be 0–65535, got ${opts.port}`);
      const sandbox = await runSandboxFromCli({ port: opts.port, host: opts.host, ...(opts.config ? { configFile: opts.config } : {}), log: out });
      onShutdown(() => sandbox.close(), 5_000);
    });

  const channel = program.command('channel').description('Manage sending numbers (channels)');
  channel
    .command('add')
    .description('Add a channel: a 360dialog number with its D360-API-KEY')
    .requiredOption('--id <id>', 'your name for the channel')
    .requiredOption('--base-url <url>', 'https://waba-v2.360dialog.io, or a sandbox URL')
    .option('--api-key <key>', 'the D360-API-KEY (prefer --api-key-env or --api-key-stdin: keeps it out of shell history)')
    .option('--api-key-env <var>', 'read the key from this environment variable')
    .option('--api-key-stdin', 'read the key from standard input')
    .option('--mps <n>', 'messages per second allowed for the number (default 80)', positiveInt('--mps'))
    .option('--replace', 'overwrite a channel with the same id')
    .option('--json', 'print JSON')
    .action(async (opts: { id: string; baseUrl: string; apiKey?: string; apiKeyEnv?: string; apiKeyStdin?: boolean; mps?: number; replace?: boolean; json?: boolean }) => {
      const apiKey = await readApiKey(opts);
      await withContext(async (ctx) => {
        const added = await ctx.channels.add({ id: opts.id, baseUrl: opts.baseUrl, apiKey, ...(opts.mps ? { mps: opts.mps } : {}) }, { replace: opts.replace ?? false });
        out(opts.json ? JSON.stringify(added) : `channel ${added.id} added (${added.baseUrl}, ${added.mps} msg/s, key ${added.apiKeyEncrypted ? 'encrypted' : 'stored unencrypted: set LITECAST_SECRET_KEY to encrypt'})`);
      });
    });
  channel
    .command('list')
    .description('List channels (never shows API keys)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withContext(async (ctx) => {
        const list = await ctx.channels.list();
        if (opts.json) return out(JSON.stringify(list));
        if (list.length === 0) return out('no channels: add one with `litecast channel add`');
        for (const c of list) out(`${c.id}\t${c.baseUrl}\t${c.mps} msg/s`);
      });
    });
  channel
    .command('remove <id>')
    .description('Remove a channel')
    .action(async (id: string) => {
      await withContext(async (ctx) => {
        await ctx.channels.remove(id);
        out(`channel ${id} removed`);
      });
    });

  const campaign = program.command('campaign').description('Create and steer campaigns');
  campaign
    .command('create')
    .description('Create a campaign from a recipient file (CSV with a phone column, NDJSON or a JSON array)')
    .requiredOption('--channel <id>', 'channel to send from')
    .requiredOption('--template <name>', 'approved marketing template name')
    .requiredOption('--language <code>', 'template language code, e.g. en or pt_BR')
    .requiredOption('--recipients <file>', 'recipient file')
    .option('--components <file>', 'JSON file with the template components; {{column}} placeholders are filled per recipient')
    .option('--ttl <seconds>', 'message TTL in seconds (43200–2592000); nothing is sent after start + TTL', positiveInt('--ttl'))
    .option('--route <route>', 'lite (MM Lite, falls back to cloud), cloud, or split (a holdout through the Cloud API)', 'lite')
    .option('--cloud-share <percent>', 'with --route split: percent of recipients sent through the Cloud API (1–99)', (v) => Number(v))
    .option('--activity-sharing <bool>', 'set message_activity_sharing (true or false)')
    .option('--batch-size <n>', 'recipients per batch (default 100)', positiveInt('--batch-size'))
    .option('--start-at <iso>', 'do not send before this time (ISO 8601)')
    .option('--id <id>', 'campaign id (default: generated)')
    .option('--json', 'print {"id": ...} as JSON')
    .action(async (opts: Record<string, string | number | boolean | undefined>) => {
      const route = String(opts.route);
      if (route !== 'lite' && route !== 'cloud' && route !== 'split') throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--route must be lite, cloud or split, got "${route}"`);
      const sharing = opts.activitySharing;
      if (sharing !== undefined && sharing !== 'true' && sharing !== 'false') throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--activity-sharing must be true or false, got "${String(sharing)}"`);
      const components = opts.components ? await readJsonFile(String(opts.components), '--components') : [];
      const { rows } = await openRecipientFile(String(opts.recipients));
      await withContext(async (ctx) => {
        const summary = await createCampaignWithFlags(
          ctx,
          {
            channelId: String(opts.channel),
            template: { name: String(opts.template), language: String(opts.language), components: components as never },
            route,
            ...(opts.id ? { id: String(opts.id) } : {}),
            ...(opts.ttl ? { ttlSeconds: Number(opts.ttl) } : {}),
            ...(opts.cloudShare !== undefined ? { cloudShare: Number(opts.cloudShare) } : {}),
            ...(opts.batchSize ? { batchSize: Number(opts.batchSize) } : {}),
            ...(opts.startAt ? { startAt: String(opts.startAt) } : {}),
            ...(sharing !== undefined ? { activitySharing: sharing === 'true' } : {}),
          },
          rows,
        );
        const accepted = summary.counts.total - summary.rejected;
        if (summary.rejected > 0) {
          const rejected = await ctx.campaigns.rejected(summary.id);
          for (const row of rejected.slice(0, 20)) err(`line ${row.line}: ${row.reason}`);
          if (rejected.length > 20) err(`… and ${rejected.length - 20} more: litecast campaign export ${summary.id} --outcome skipped`);
        }
        if (accepted === 0) {
          throw new LitecastError('LITECAST_ERR_BAD_RECIPIENTS', `No row of the recipient file can be sent (${summary.rejected} rejected, reasons above); fix the file and create the campaign again.`);
        }
        if (opts.json) return out(JSON.stringify({ id: summary.id, total: summary.counts.total, accepted, rejected: summary.rejected, batches: summary.batches }));
        out(summary.id);
        err(`${accepted} recipients accepted in ${summary.batches} batches, ${summary.rejected} rows rejected`);
      });
    });
  campaign
    .command('status <id>')
    .description('Show a campaign: state, counters, errors by code, the funnel per route')
    .option('--json', 'print the same JSON object as GET /v1/campaigns/:id')
    .option('--watch', 'live progress bars (sent, failed, pending) with rate and ETA until it finishes')
    .action(async (id: string, opts: { json?: boolean; watch?: boolean }) => {
      await withContext(async (ctx) => {
        if (opts.watch) {
          await watchProgress(ctx.campaigns, id, { out: (line) => err(line), until: (s) => isFinal(s.state) });
        }
        const report = await describeCampaign(ctx, id);
        if (opts.json) return out(JSON.stringify(report));
        out(`${report.id}  ${report.state}${report.reason ? ` (${report.reason})` : ''}  channel ${report.channelId}  template ${report.template.name}/${report.template.language}  route ${report.route}`);
        out(Object.entries(report.counts).map(([k, v]) => `${k}=${v}`).join(' '));
        for (const e of report.errorsByCode) out(`error ${e.code} ×${e.count}${e.class ? ` (${e.class}: ${e.meaning})` : ''}`);
        if (report.inDoubt) out(`unknown ×${report.inDoubt.unknown}: ${report.inDoubt.verdict}; ${report.inDoubt.hint}`);
        for (const line of funnelTable(report)) out(line);
      });
    });
  campaign
    .command('list')
    .description('List campaigns, newest first')
    .option('--limit <n>', 'how many', positiveInt('--limit'), 50)
    .option('--json', 'print JSON')
    .action(async (opts: { limit: number; json?: boolean }) => {
      await withContext(async (ctx) => {
        const { ids, total } = await ctx.campaigns.listIds(0, opts.limit);
        const rows = await Promise.all(ids.map((id) => campaignStatus(ctx.campaigns, id)));
        if (opts.json) return out(JSON.stringify({ campaigns: rows, total }));
        if (rows.length === 0) return out('no campaigns: create one with `litecast campaign create`');
        for (const r of rows) out(`${r.id}\t${r.state}\t${r.channelId}\t${r.template.name}\tsent ${r.counts.sent}/${r.counts.total}\t${r.createdAt}`);
      });
    });
  campaign
    .command('export <id>')
    .description('Write the recipients with their outcome to stdout (rows rejected at intake included, as "skipped")')
    .option('--outcome <outcome>', `only one outcome: ${EXPORT_OUTCOMES.join(', ')}`)
    .option('--format <format>', 'csv or ndjson', 'csv')
    .action(async (id: string, opts: { outcome?: string; format: string }) => {
      if (opts.outcome !== undefined && !EXPORT_OUTCOMES.includes(opts.outcome as ExportOutcome)) {
        throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--outcome must be one of ${EXPORT_OUTCOMES.join(', ')}, got "${opts.outcome}"`);
      }
      if (opts.format !== 'csv' && opts.format !== 'ndjson') throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--format must be csv or ndjson, got "${opts.format}"`);
      await withContext(async (ctx) => {
        const rows = exportRecipients(ctx.redis, ctx.keys, ctx.campaigns, id, opts.outcome as ExportOutcome | undefined);
        for await (const chunk of formatRows(rows, opts.format as 'csv' | 'ndjson')) {
          if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        }
      });
    });
  campaign
    .command('retry <id>')
    .description('Send again to the recipients whose last error can succeed later (never to those already sent)')
    .option('--include-unknown', 'also unknown recipients with no webhook after the quiet period (LITECAST_UNKNOWN_QUIET_MINUTES); a few may get the message twice')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean; includeUnknown?: boolean }) => {
      await withContext(async (ctx) => {
        const result = await retryCampaign(ctx, id, { includeUnknown: opts.includeUnknown === true, quietMs: ctx.config.unknownQuietMs });
        if (result.warning) err(`warning: ${result.warning}`);
        out(opts.json ? JSON.stringify(result) : `campaign ${id}: ${result.requeued} recipients queued again in ${result.batches} batches${result.unknownRequeued ? ` (${result.unknownRequeued} of them unknown)` : ''}`);
      });
    });
  campaign
    .command('report <id>')
    .description('Write the campaign report (funnel per route, comparison, errors, rejected rows) as one self-contained HTML file')
    .requiredOption('--html <file>', 'where to write it')
    .action(async (id: string, opts: { html: string }) => {
      await withContext(async (ctx) => {
        const html = renderReportPage({ mode: 'static', campaign: await describeCampaign(ctx, id), rejected: await ctx.campaigns.rejected(id), generatedAt: new Date().toISOString() });
        try {
          await writeFile(opts.html, html);
        } catch (error) {
          throw new LitecastError('LITECAST_ERR_FILE_NOT_FOUND', `--html: cannot write "${opts.html}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
        }
        out(`report written to ${opts.html}`);
      });
    });
  for (const [name, action, description] of [
    ['pause', pauseCampaign, 'Pause a campaign (takes effect within a second or two)'],
    ['resume', resumeCampaign, 'Resume a paused campaign where it stopped'],
    ['cancel', cancelCampaign, 'Cancel a campaign: pending recipients end as cancelled'],
  ] as const) {
    campaign
      .command(`${name} <id>`)
      .description(description)
      .action(async (id: string) => {
        await withContext(async (ctx) => {
          await action(ctx, id);
          out(`campaign ${id}: ${name} done`);
        });
      });
  }
  program
    .command('api')
    .description('Run the HTTP API (needs LITECAST_API_TOKEN)')
    .option('--port <port>', 'port to listen on (default LITECAST_API_PORT or 8080)', (v) => Number(v))
    .option('--host <host>', 'address to listen on (default LITECAST_API_HOST or 0.0.0.0)')
    .action(async (opts: { port?: number; host?: string }) => {
      const { config, logger } = setup();
      if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--port must be 0–65535, got ${opts.port}`);
      const { startApi } = await import('../api/start-api.ts');
      const api = await startApi(config, logger.child({ component: 'api' }), { ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) });
      out(`litecast api listening on ${api.url} (OpenAPI document at ${api.url}/docs)`);
      onShutdown(() => api.close(), 10_000);
    });

  program
    .command('demo')
    .description('Run a demo campaign against a local sandbox: workers, live progress, results per route')
    .option('--recipients <n>', 'generated recipients', positiveInt('--recipients'), 3_000)
    .option('--workers <n>', 'worker processes', positiveInt('--workers'), 2)
    .option('--mps <n>', 'messages per second of the demo channel', positiveInt('--mps'), 500)
    .action(async (opts: { recipients: number; workers: number; mps: number }) => {
      const { config, logger } = setup();
      const { runDemo } = await import('./demo.ts');
      await runDemo(config, logger, { ...opts, out });
    });
  return program;
}

/** Campaign option names as the CLI spells them, for error messages. */
const FLAG_NAMES: ReadonlyArray<[string, string]> = [
  ['ttlSeconds', '--ttl'],
  ['batchSize', '--batch-size'],
  ['startAt', '--start-at'],
  ['template.name', '--template'],
  ['template.language', '--language'],
  ['template.components', '--components'],
  ['channelId', '--channel'],
  ['route', '--route'],
  ['cloudShare', '--cloud-share'],
  ['id', '--id'],
];

/** createCampaign, with invalid option values reported under their flag names (exit code 64). */
async function createCampaignWithFlags(...args: Parameters<typeof createCampaign>): ReturnType<typeof createCampaign> {
  try {
    return await createCampaign(...args);
  } catch (error) {
    if (isLitecastError(error) && error.code === 'LITECAST_ERR_VALIDATION') {
      let message = error.message.replace(/^Invalid campaign: /, 'Invalid option values: ');
      for (const [field, flag] of FLAG_NAMES) message = message.replaceAll(`${field}:`, `${flag}:`);
      throw new LitecastError('LITECAST_ERR_INVALID_OPTION', message, error.details);
    }
    throw error;
  }
}

async function readApiKey(opts: { apiKey?: string; apiKeyEnv?: string; apiKeyStdin?: boolean }): Promise<string> {
  const given = [opts.apiKey !== undefined, opts.apiKeyEnv !== undefined, opts.apiKeyStdin === true].filter(Boolean).length;
  if (given !== 1) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', 'Give the API key exactly one way: --api-key KEY, --api-key-env VAR or --api-key-stdin.');
  if (opts.apiKey !== undefined) return opts.apiKey;
  if (opts.apiKeyEnv !== undefined) {
    const value = readEnvironmentValue(opts.apiKeyEnv);
    if (!value) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--api-key-env ${opts.apiKeyEnv}: that environment variable is empty or not set.`);
    return value;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const key = Buffer.concat(chunks).toString('utf8').trim();
  if (!key) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', '--api-key-stdin: nothing was read from standard input.');
  return key;
}

async function readJsonFile(path: string, option: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LitecastError('LITECAST_ERR_FILE_NOT_FOUND', `${option}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `${option}: "${path}" is not valid JSON (${(error as Error).message}).`);
  }
}

/** Runs the CLI; returns the exit code (commands that keep running return when they stop). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 64;
    }
    if (isLitecastError(error)) {
      err(`error ${error.code}: ${error.message}`);
      return error.exitCode;
    }
    err(`unexpected error: ${(error as Error).stack ?? String(error)}`);
    return 70;
  }
}

const code = await main(process.argv.slice(2));
// Long-running commands (worker, sandbox) keep the event loop alive and exit from their signal handler.
if (code !== 0) process.exit(code);
