/** `litecast campaign …`: create, watch, list, export, retry, report, pause, resume, cancel. */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { cancelCampaign, pauseCampaign, resumeCampaign } from '../../producer/campaign-actions.ts';
import { EXPORT_OUTCOMES, exportRecipients, formatRows, type ExportOutcome } from '../../producer/export-recipients.ts';
import { openRecipientFile } from '../../producer/open-recipient-file.ts';
import { retryCampaign } from '../../producer/retry-campaign.ts';
import { renderReportPage } from '../../report/render-report-page.ts';
import { describeCampaign } from '../../report/campaign-report.ts';
import { isFinal } from '../../shared/campaign-lifecycle.ts';
import { campaignStatus } from '../../shared/campaign-status.ts';
import { LitecastError } from '../../shared/errors.ts';
import { placeholdersOf } from '../../shared/template-components.ts';
import { recipientPlaceholders } from '../../shared/click-token.ts';
import type { TemplateComponent } from '../../shared/outbound-message.ts';
import type { CliSession } from '../cli-session.ts';
import { createCampaignWithFlags } from '../create-campaign-with-flags.ts';
import { createTemplatePreflight } from '../../producer/template-preflight.ts';
import { funnelTable } from '../funnel-table.ts';
import { positiveInt } from '../positive-int.ts';
import { watchProgress } from '../progress.ts';
import { readJsonFile } from '../read-json-file.ts';

/** Registers the `campaign` command group on the program. */
export function registerCampaignCommands(program: Command, session: CliSession): void {
  const { out, err, withContext } = session;
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
    .option('--send-window <HH:MM-HH:MM>', 'send only inside this window of each recipient\'s local time, e.g. 09:00-20:00 (zone from a timezone column, else the number\'s country)')
    .option('--priority <level>', 'high, normal or low: order between campaigns on the same channel (default normal)')
    .option('--id <id>', 'campaign id (default: generated)')
    .option('--product-policy <policy>', 'product_policy of the MM Lite sends: STRICT (MM only, Meta never delivers through the Cloud API instead) or CLOUD_API_FALLBACK')
    .option('--skip-template-check', "do not check the template against the channel's 360dialog template listing (offline use)")
    .option('--json', 'print {"id": ...} as JSON')
    .action(async (opts: Record<string, string | number | boolean | undefined>) => {
      const route = String(opts.route);
      if (route !== 'lite' && route !== 'cloud' && route !== 'split') throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--route must be lite, cloud or split, got "${route}"`);
      const sharing = opts.activitySharing;
      if (sharing !== undefined && sharing !== 'true' && sharing !== 'false') throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--activity-sharing must be true or false, got "${String(sharing)}"`);
      const components = opts.components ? await readJsonFile(String(opts.components), '--components') : [];
      // A CSV must have a column for every placeholder: refused at its header, naming the placeholder.
      const { rows } = await openRecipientFile(String(opts.recipients), undefined, { requiredColumns: recipientPlaceholders(placeholdersOf(Array.isArray(components) ? (components as TemplateComponent[]) : [])) });
      await withContext(async (ctx) => {
        const templatePreflight = createTemplatePreflight({ channels: ctx.channels, timeoutMs: ctx.config.httpTimeoutMs });
        const summary = await createCampaignWithFlags(
          { ...ctx, templatePreflight },
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
            ...(opts.sendWindow ? { sendWindow: String(opts.sendWindow) } : {}),
            ...(opts.priority ? { priority: String(opts.priority) as 'high' } : {}),
            ...(opts.skipTemplateCheck === true ? { skipTemplateCheck: true } : {}),
            ...(opts.productPolicy !== undefined ? { productPolicy: String(opts.productPolicy) as 'STRICT' } : {}),
          },
          rows,
        ).finally(() => templatePreflight.close());
        const accepted = summary.counts.total - summary.rejected;
        if (summary.rejected > 0) {
          const rejected = await ctx.campaigns.rejected(summary.id);
          for (const row of rejected.slice(0, 20)) err(`line ${row.line}: ${row.reason}`);
          if (rejected.length > 20) err(`… and ${rejected.length - 20} more: litecast campaign export ${summary.id} --outcome skipped`);
        }
        if (accepted === 0) {
          throw new LitecastError('LITECAST_ERR_BAD_RECIPIENTS', `No row of the recipient file can be sent (${summary.rejected} rejected, reasons above); fix the file and create the campaign again.`);
        }
        if (opts.json) return out(JSON.stringify({ id: summary.id, total: summary.counts.total, accepted, rejected: summary.rejected, batches: summary.batches, ...(summary.warnings ? { warnings: summary.warnings } : {}) }));
        out(summary.id);
        err(`${accepted} recipients accepted in ${summary.batches} batches, ${summary.rejected} rows rejected`);
        for (const warning of summary.warnings ?? []) err(`warning: ${warning.message}`);
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
          await watchProgress(ctx.campaigns, id, {
            out: (line) => err(line),
            until: (s) => isFinal(s.state),
            tty: session.io.stdout.isTTY === true,
          });
        }
        const report = await describeCampaign(ctx, id);
        if (opts.json) return out(JSON.stringify(report));
        out(`${report.id}  ${report.state}${report.reason ? ` (${report.reason})` : ''}  channel ${report.channelId}  template ${report.template.name}/${report.template.language}  route ${report.route}`);
        out(Object.entries(report.counts).map(([k, v]) => `${k}=${v}`).join(' '));
        for (const e of report.errorsByCode) out(`error ${e.code} ×${e.count}${e.class ? ` (${e.class}: ${e.meaning})` : ''}`);
        if (report.inDoubt) out(`unknown ×${report.inDoubt.unknown}: ${report.inDoubt.verdict}; ${report.inDoubt.hint}`);
        if (report.sendWindow) out(`send window ${report.sendWindow} (recipients' local time): ${report.waitingForWindow} waiting for their window`);
        if (report.projectedExpiries > 0) out(`projected expiries: ${report.projectedExpiries} pending recipients would not be sent before the deadline at the channel's rate`);
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
        for await (const chunk of formatRows(rows, opts.format as 'csv' | 'ndjson')) await session.write(chunk);
      });
    });
  campaign
    .command('retry <id>')
    .description('Send again to the recipients whose last error can succeed later (never to those already sent)')
    .option('--json', 'print JSON')
    .option('--include-unknown', 'also unknown recipients with no webhook after the quiet period (LITECAST_UNKNOWN_QUIET_MINUTES); a few may get the message twice')
    .action(async (id: string, opts: { json?: boolean; includeUnknown?: boolean }) => {
      await withContext(async (ctx) => {
        const result = await retryCampaign(ctx, id, { includeUnknown: opts.includeUnknown === true, quietMs: ctx.config.unknownQuietMs });
        if (result.warning) err(`warning: ${result.warning}`);
        out(opts.json ? JSON.stringify(result) : `campaign ${id}: ${result.requeued} recipients queued again in ${result.batches} batches${result.unknownRequeued ? ` (${result.unknownRequeued} of them unknown)` : ''}`);
        if (!opts.json && result.waiting) {
          err(`${result.waiting.count} recipient(s) withheld by Meta's marketing cap (131049) wait 24 h after their failure; the first becomes eligible at ${result.waiting.recipients[0]?.eligibleAt ?? '?'}:`);
          for (const w of result.waiting.recipients.slice(0, 20)) err(`  ${w.phone} eligible at ${w.eligibleAt}`);
        }
        if (!opts.json && result.skippedUs) err(`${result.skippedUs} recipient(s) with a US number skipped: Meta does not deliver marketing messages to US numbers`);
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
}
