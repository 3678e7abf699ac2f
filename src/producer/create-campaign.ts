/**
 * Campaign intake: validates the options, streams the recipients (never the whole list in
 * memory), normalises and checks each row, stores batches with their recipients, and enqueues one
 * job per batch with a deterministic id. Bad rows are kept with their line number and reason; the
 * rest of the campaign goes ahead.
 */
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { MARKETING_TTL_RANGE } from '../dialog360/build-payload.ts';
import type { TemplateComponent } from '../shared/outbound-message.ts';
import type { CampaignSpec, Counts } from '../shared/campaign.ts';
import type { BatchRecipient, CampaignStore, RejectedRow } from '../shared/campaign-store.ts';
import { validationError, type ChannelStore } from '../shared/channel-store.ts';
import { LitecastError, isLitecastError } from '../shared/errors.ts';
import { enqueueBatches, type BatchJobData } from '../shared/send-queue.ts';
import { checkComponents, missingPlaceholders, placeholdersOf } from '../shared/template-components.ts';
import { recipientPlaceholders } from '../shared/click-token.ts';
import { checkJsonShape } from './check-json-shape.ts';
import { checkOptionNames } from './check-option-names.ts';
import { deadlineWarning, firstRunTimes, type IntakeWarning } from './intake-timing.ts';
import { recipientZone, timeZoneProblem } from './recipient-zone.ts';
import { judgedRows, sharedPhoneChecker, type JudgedRow, type JudgePhones } from './phone-checker.ts';
import { sendWindowProblem } from '../shared/send-window.ts';
import type { ReadItem } from './read-recipients.ts';
import type { TemplatePreflight } from './template-preflight.ts';

export const campaignOptionsSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1–64 letters, digits, _ or -')
    .optional(),
  channelId: z.string().min(1, 'name the channel to send from'),
  template: z.object({
    name: z.string().min(1, 'must not be empty').max(512),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/, 'must be a Meta language code such as en, en_US or pt_BR'),
    components: z.array(z.record(z.string(), z.unknown())).default([]),
  }),
  ttlSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(MARKETING_TTL_RANGE.min, `must be at least ${MARKETING_TTL_RANGE.min} s (12 hours), Meta's marketing minimum`)
    .max(MARKETING_TTL_RANGE.max, `must be at most ${MARKETING_TTL_RANGE.max} s (30 days), Meta's marketing maximum`)
    .optional(),
  route: z.enum(['lite', 'cloud', 'split'], { error: 'must be lite, cloud or split' }).default('lite'),
  /** For route `split`: percent of recipients sent through the Cloud API as a holdout. */
  cloudShare: z.number().min(1, 'must be between 1 and 99 (percent)').max(99, 'must be between 1 and 99 (percent)').optional(),
  activitySharing: z.boolean().optional(),
  /** `product_policy` of the MM Lite sends; `STRICT` = MM only. */
  productPolicy: z.enum(['STRICT', 'CLOUD_API_FALLBACK'], { error: 'must be STRICT or CLOUD_API_FALLBACK' }).optional(),
  /** ISO 8601 with offset, or epoch milliseconds. */
  startAt: z.union([z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-12-01T09:00:00Z' }), z.number().int()]).optional(),
  batchSize: z.number().int().min(1).max(1_000).default(100),
  /** "09:00-20:00" in each recipient's local time; "22:00-06:00" crosses midnight. */
  sendWindow: z.string().superRefine((text, ctx) => {
    const problem = sendWindowProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  priority: z.enum(['high', 'normal', 'low'], { error: 'must be high, normal or low' }).optional(),
  /** Skip the template preflight (no call to 360dialog's template listing): for offline use. */
  skipTemplateCheck: z.boolean().optional(),
}).superRefine((o, ctx) => {
  if ((o.route === 'split') !== (o.cloudShare !== undefined)) {
    const message = o.route === 'split' ? 'required with route split: the percent of recipients to send through the Cloud API, e.g. 10' : 'only goes with route split';
    ctx.addIssue({ code: 'custom', path: ['cloudShare'], message });
  }
  for (const message of checkComponents(o.template.components)) ctx.addIssue({ code: 'custom', path: ['template', 'components'], message });
});

export type CampaignOptions = z.input<typeof campaignOptionsSchema>;

/** Every option name a campaign takes (a misspelt one is refused, not ignored). */
export const OPTION_NAMES = ['id', 'channelId', 'template', 'ttlSeconds', 'route', 'cloudShare', 'activitySharing', 'startAt', 'batchSize', 'sendWindow', 'priority', 'skipTemplateCheck', 'productPolicy'] as const;
const TEMPLATE_OPTION_NAMES = ['name', 'language', 'components'] as const;

/** How far in the past a `startAt` may be (clock skew, a slow upload) before it is refused. */
const START_AT_PAST_TOLERANCE_MS = 5 * 60_000;
/** How far ahead a campaign may be scheduled: a year (Meta's marketing TTL is 30 days anyway). */
const START_AT_MAX_AHEAD_MS = 366 * 24 * 3600_000;

/** A `startAt` within bounds, or a 400 saying which bound and what to do. */
function checkStartAt(startAt: number, now: number): number {
  if (!Number.isFinite(startAt) || startAt > now + START_AT_MAX_AHEAD_MS) {
    throw new LitecastError('LITECAST_ERR_VALIDATION', 'Invalid campaign: startAt: must be at most a year ahead; give an ISO 8601 time such as 2026-12-01T09:00:00Z.');
  }
  if (startAt < now - START_AT_PAST_TOLERANCE_MS) {
    throw new LitecastError('LITECAST_ERR_VALIDATION', `Invalid campaign: startAt: ${new Date(Math.max(startAt, -8.64e15)).toISOString()} is in the past; leave startAt out to start now.`);
  }
  return startAt;
}

/** A reason the campaign may still fail, given at creation: the deadline at risk, or a template too new for MM Lite. */
export type CampaignWarning = IntakeWarning | { code: 'TEMPLATE_TOO_NEW'; message: string };

/** `warnings` only when there is one. */
export type IntakeSummary = { id: string; batches: number; counts: Counts; rejected: number; warnings?: CampaignWarning[] };

export type IntakeDeps = {
  channels: Pick<ChannelStore, 'get'>;
  campaigns: CampaignStore;
  queue: Queue<BatchJobData>;
  now?: () => number;
  /** Checks the template against the channel's listing first (API and CLI); skipped with `skipTemplateCheck`. */
  templatePreflight?: Pick<TemplatePreflight, 'check'>;
  /** Judges phone cells (phone-checker.ts); by default on the process's helper thread. */
  judgePhones?: JudgePhones;
};

/** A short, unique, URL- and job-id-safe campaign id. */
export function newCampaignId(now = Date.now()): string {
  return `c${now.toString(36)}${randomBytes(5).toString('hex')}`;
}

/** Validates the options into a CampaignSpec (throws LITECAST_ERR_VALIDATION naming each field). */
export function parseCampaignOptions(options: CampaignOptions, now = Date.now()): CampaignSpec {
  if (options !== null && typeof options === 'object') {
    checkOptionNames(options, OPTION_NAMES);
    if (options.template !== null && typeof options.template === 'object') checkOptionNames(options.template, TEMPLATE_OPTION_NAMES, 'template.');
    checkJsonShape((options.template as { components?: unknown } | undefined)?.components, 'template.components');
  }
  const parsed = campaignOptionsSchema.safeParse(options);
  if (!parsed.success) throw validationError(parsed.error.issues, 'campaign');
  const o = parsed.data;
  const startAt = o.startAt === undefined ? now : checkStartAt(typeof o.startAt === 'number' ? o.startAt : Date.parse(o.startAt), now);
  const spec: CampaignSpec = {
    id: o.id ?? newCampaignId(now),
    channelId: o.channelId,
    template: { name: o.template.name, language: o.template.language, components: o.template.components as TemplateComponent[] },
    route: o.route,
    startAt: Math.max(startAt, now),
    batchSize: o.batchSize,
    createdAt: now,
  };
  if (o.ttlSeconds !== undefined) spec.ttlSeconds = o.ttlSeconds;
  if (o.cloudShare !== undefined) spec.cloudShare = o.cloudShare;
  if (o.activitySharing !== undefined) spec.activitySharing = o.activitySharing;
  if (o.sendWindow !== undefined) spec.sendWindow = o.sendWindow;
  if (o.priority !== undefined) spec.priority = o.priority;
  if (o.productPolicy !== undefined) spec.productPolicy = o.productPolicy;
  return spec;
}

/**
 * Creates the campaign and takes in its recipients. Batches are stored as they are read; their
 * jobs are enqueued at the end, so an upload that fails half-way leaves nothing behind.
 */
export async function createCampaign(deps: IntakeDeps, options: CampaignOptions, rows: AsyncIterable<ReadItem> | Iterable<ReadItem>): Promise<IntakeSummary> {
  const now = deps.now ?? Date.now;
  const spec = parseCampaignOptions(options, now());
  const channel = await deps.channels.get(spec.channelId);
  const skipCheck = (options as { skipTemplateCheck?: unknown }).skipTemplateCheck === true;
  const templateWarnings: CampaignWarning[] = (deps.templatePreflight && !skipCheck ? await deps.templatePreflight.check(spec) : []).map((message) => ({ code: 'TEMPLATE_TOO_NEW', message }));
  await deps.campaigns.create(spec);
  // {{click_token}} is litecast's to fill at send time, not a recipient field.
  const placeholders = recipientPlaceholders(placeholdersOf(spec.template.components));

  // With a send window each batch holds recipients of one time zone, so a batch has one opening
  // time and waits for it as a delayed job; without one, every recipient is in zone ''.
  const open = new Map<string, BatchRecipient[]>();
  let rejected: RejectedRow[] = [];
  let batchIndex = 0;
  const pendingJobs = new Map<string, number[]>();
  const zoneCounts = new Map<string, number>();

  const flush = async (zone: string) => {
    const batch = open.get(zone) ?? [];
    open.delete(zone);
    if (batch.length === 0 && rejected.length === 0) return;
    if (batch.length === 0) {
      await deps.campaigns.storeRejected(spec.id, rejected);
    } else {
      if (spec.sendWindow) await deps.campaigns.setBatchZone(spec.id, batchIndex, zone);
      const kept = await deps.campaigns.storeBatch(spec.id, batchIndex, batch, rejected);
      if (kept > 0) pendingJobs.set(zone, [...(pendingJobs.get(zone) ?? []), batchIndex]);
      zoneCounts.set(zone, (zoneCounts.get(zone) ?? 0) + kept);
      batchIndex += 1;
    }
    rejected = [];
  };
  const flushAll = async () => {
    for (const zone of [...open.keys()]) await flush(zone);
    await flush('');
  };

  let lastLine = 0;
  try {
    for await (const row of judgedRows(rows, deps.judgePhones ?? sharedPhoneChecker())) {
      lastLine = row.ok ? row.recipient.line : row.rejected.line;
      await takeRow(row);
    }
  } catch (error) {
    const fileProblem = isLitecastError(error) && error.code === 'LITECAST_ERR_BAD_RECIPIENTS';
    if (!fileProblem || (batchIndex === 0 && [...open.values()].every((b) => b.length === 0))) {
      // Nothing usable was read (e.g. no phone column), or the upload itself failed (too large,
      // aborted): nothing was enqueued yet, so leave nothing half-created behind.
      await deps.campaigns.remove(spec.id, batchIndex);
      throw error;
    }
    // The file broke after good rows (e.g. truncated JSON): keep what was read, report the rest.
    const line = typeof error.details?.line === 'number' ? error.details.line : lastLine + 1;
    rejected.push({ line, code: 'file_error', reason: `${error.message}; the rows after this point were not read` });
  }
  await flushAll();
  let firstRuns: Map<string, number>;
  try {
    firstRuns = firstRunTimes(spec, zoneCounts);
  } catch (error) {
    await deps.campaigns.remove(spec.id, batchIndex);
    throw error;
  }
  const groups = [...zoneCounts].map(([zone, recipients]) => ({ zone: zone || 'UTC', recipients }));
  const warning = deadlineWarning(spec, groups, { mps: channel.mps, queuedAhead: await deps.campaigns.pendingOnChannel(spec.channelId, spec.id) });
  await deps.campaigns.storeTiming(spec.id, spec.sendWindow ? zoneCounts : new Map(), channel.mps);
  // Jobs go in only once the whole file has been read, so a failed upload never starts sending.
  // (An index list is small: 10,000 numbers for a million recipients.)
  const enqueuedAt = now();
  for (const [zone, indexes] of pendingJobs) {
    const startAt = Math.max(spec.startAt, firstRuns.get(zone) ?? spec.startAt);
    await enqueueBatches(deps.queue, spec.id, indexes, { startAt, now: enqueuedAt, ...(spec.priority ? { priority: spec.priority } : {}) });
  }
  await deps.campaigns.markIntakeDone(spec.id, batchIndex);
  const counts = await deps.campaigns.counts(spec.id);
  if (counts.total === 0) {
    await deps.campaigns.remove(spec.id);
    throw new LitecastError('LITECAST_ERR_NO_RECIPIENTS', 'The recipient file has no rows: add a header line with a "phone" column and one recipient per line.');
  }
  const warnings = [...templateWarnings, ...(warning ? [warning] : [])];
  return { id: spec.id, batches: batchIndex, counts, rejected: counts.skipped, ...(warnings.length > 0 ? { warnings } : {}) };

  async function takeRow(row: JudgedRow): Promise<void> {
    if (!row.ok) {
      rejected.push(row.rejected);
    } else {
      const { line, phone, fields } = row.recipient;
      const judged = row.judgement;
      const missing = judged.ok ? missingPlaceholders(placeholders, fields) : [];
      // An own field only: a column named "timezone", never an inherited property.
      const timezone = spec.sendWindow && Object.hasOwn(fields, 'timezone') ? (fields.timezone ?? '').trim() : '';
      const zoneProblem = timezone ? timeZoneProblem(timezone) : undefined;
      if (!judged.ok) {
        rejected.push({ line, code: 'invalid_phone', reason: `invalid phone number: ${judged.reason}`, raw: phone.slice(0, 40) });
      } else if (zoneProblem) {
        rejected.push({ line, code: 'invalid_timezone', reason: zoneProblem });
      } else if (missing.length > 0) {
        rejected.push({
          line,
          code: 'missing_field',
          reason: `no value for placeholder${missing.length > 1 ? 's' : ''} ${missing.map((m) => `{{${m}}}`).join(', ')}: add the column${missing.length > 1 ? 's' : ''} or fill the value`,
        });
      } else {
        // Keep only the fields the template uses: less Redis memory per recipient.
        // Prototype-free, so a placeholder named __proto__ is kept as a field like any other.
        const f = Object.create(null) as Record<string, string>;
        for (const name of placeholders) f[name] = fields[name] as string;
        const zone = spec.sendWindow ? recipientZone(judged.country, timezone || undefined) : '';
        const batch = open.get(zone) ?? [];
        open.set(zone, batch);
        batch.push({ p: judged.phone, l: line, f });
        if (batch.length >= spec.batchSize) await flush(zone);
      }
    }
    if (rejected.length >= 1_000) await flush('');
  }
}
