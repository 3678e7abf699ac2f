/** `litecast channel add|update|list|remove|webhook`: the sending numbers. */
import type { Command } from 'commander';
import { createDialogClient } from '../../dialog360/client.ts';
import { configureChannelWebhook } from '../../dialog360/configure-channel-webhook.ts';
import { withManagementRetries } from '../../dialog360/retry-management-call.ts';
import { WEBHOOK_SECRET_HEADER } from '../../shared/webhook-secret-header.ts';
import { readEnvironmentValue } from '../../shared/config.ts';
import { LitecastError } from '../../shared/errors.ts';
import type { CliSession } from '../cli-session.ts';
import { positiveInt } from '../positive-int.ts';

const FREQUENCY_CAP_HELP = 'at most N marketing messages from litecast to one recipient per period, across campaigns, e.g. 2/7d (units s, m, h, d)';

type KeyOptions = { apiKey?: string; apiKeyEnv?: string; apiKeyStdin?: boolean };

/** Registers the `channel` command group on the program. */
export function registerChannelCommands(program: Command, session: CliSession): void {
  const { out } = session;
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
    .option('--frequency-cap <n/period>', FREQUENCY_CAP_HELP)
    .option('--replace', 'overwrite a channel with the same id')
    .option('--json', 'print JSON')
    .action(async (opts: KeyOptions & { id: string; baseUrl: string; mps?: number; frequencyCap?: string; replace?: boolean; json?: boolean }) => {
      const apiKey = await readApiKey(opts, session);
      await session.withContext(async (ctx) => {
        const input = { id: opts.id, baseUrl: opts.baseUrl, apiKey, ...(opts.mps ? { mps: opts.mps } : {}), ...(opts.frequencyCap ? { frequencyCap: opts.frequencyCap } : {}) };
        const added = await ctx.channels.add(input, { replace: opts.replace ?? false });
        out(opts.json ? JSON.stringify(added) : `channel ${added.id} added (${added.baseUrl}, ${added.mps} msg/s, key ${added.apiKeyEncrypted ? 'encrypted' : 'stored unencrypted: set LITECAST_SECRET_KEY to encrypt'})`);
      });
    });
  channel
    .command('update <id>')
    .description('Change the rate or the frequency cap of a channel (its key stays)')
    .option('--mps <n>', 'messages per second allowed for the number', positiveInt('--mps'))
    .option('--frequency-cap <n/period>', `${FREQUENCY_CAP_HELP}; "none" removes the cap`)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { mps?: number; frequencyCap?: string; json?: boolean }) => {
      if (opts.mps === undefined && opts.frequencyCap === undefined) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', 'Nothing to change: give --mps and/or --frequency-cap.');
      await session.withContext(async (ctx) => {
        const cap = opts.frequencyCap === undefined ? {} : { frequencyCap: opts.frequencyCap === 'none' ? null : opts.frequencyCap };
        const updated = await ctx.channels.update(id, { ...(opts.mps ? { mps: opts.mps } : {}), ...cap });
        out(opts.json ? JSON.stringify(updated) : `channel ${updated.id} updated (${updated.mps} msg/s, frequency cap ${updated.frequencyCap ?? 'none'})`);
      });
    });
  channel
    .command('list')
    .description('List channels (never shows API keys)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await session.withContext(async (ctx) => {
        const list = await ctx.channels.list();
        if (opts.json) return out(JSON.stringify(list));
        if (list.length === 0) return out('no channels: add one with `litecast channel add`');
        for (const c of list) out(`${c.id}\t${c.baseUrl}\t${c.mps} msg/s${c.frequencyCap ? `\tcap ${c.frequencyCap}` : ''}`);
      });
    });
  channel
    .command('webhook <id>')
    .description("Point the channel's 360dialog webhook at litecast (POST /v1/configs/webhook with the secret header), then show what 360dialog holds")
    .requiredOption('--url <url>', 'the public URL of litecast, e.g. https://litecast.example.com (/webhooks/360dialog/<id> is added unless the URL has a path)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { url: string; json?: boolean }) => {
      await session.withContext(async (ctx) => {
        const secret = ctx.config.webhookSecret;
        if (!secret) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', 'Set LITECAST_WEBHOOK_SECRET first: 360dialog sends it back in a header, and litecast refuses webhooks without it.');
        const target = webhookUrlFor(opts.url, id);
        const stored = await ctx.channels.loadWithKey(id);
        const client = createDialogClient({ baseUrl: stored.baseUrl, apiKey: stored.apiKey, timeoutMs: ctx.config.httpTimeoutMs });
        try {
          const current = await configureChannelWebhook(withManagementRetries(client), target, { name: WEBHOOK_SECRET_HEADER, value: secret });
          const headerNames = Object.keys(current.headers);
          if (opts.json) return out(JSON.stringify({ channelId: id, url: current.url, headers: headerNames }));
          out(`channel ${id}: 360dialog now sends webhooks to ${current.url ?? '(none)'} with header(s) ${headerNames.join(', ') || '(none)'}`);
        } finally {
          client.close();
        }
      });
    });
  channel
    .command('remove <id>')
    .description('Remove a channel')
    .action(async (id: string) => {
      await session.withContext(async (ctx) => {
        await ctx.channels.remove(id);
        out(`channel ${id} removed`);
      });
    });
}

/** The channel's webhook URL: `base` as given when it has a path, else litecast's path for the channel. */
export function webhookUrlFor(base: string, channelId: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--url ${base}: not a URL; give one such as https://litecast.example.com.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--url ${base}: use an https URL (360dialog needs a valid certificate).`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = `/webhooks/360dialog/${encodeURIComponent(channelId)}`;
  return url.toString();
}

/** The API key, given exactly one way: on the command line, in a named variable, or on stdin. */
async function readApiKey(opts: KeyOptions, session: CliSession): Promise<string> {
  const given = [opts.apiKey !== undefined, opts.apiKeyEnv !== undefined, opts.apiKeyStdin === true].filter(Boolean).length;
  if (given !== 1) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', 'Give the API key exactly one way: --api-key KEY, --api-key-env VAR or --api-key-stdin.');
  if (opts.apiKey !== undefined) return opts.apiKey;
  if (opts.apiKeyEnv !== undefined) {
    const value = readEnvironmentValue(opts.apiKeyEnv, session.io.env);
    if (!value) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--api-key-env ${opts.apiKeyEnv}: that environment variable is empty or not set.`);
    return value;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of session.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const key = Buffer.concat(chunks).toString('utf8').trim();
  if (!key) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', '--api-key-stdin: nothing was read from standard input.');
  return key;
}
