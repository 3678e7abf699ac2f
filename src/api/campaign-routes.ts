/**
 * Campaigns: create (recipients inline as JSON, or an uploaded CSV/NDJSON body, streamed), list,
 * status with errors and the per-route funnel, pause/resume/cancel, export of recipients, retry.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { cancelCampaign, pauseCampaign, resumeCampaign } from '../producer/campaign-actions.ts';
import { checkOptionNames } from '../producer/check-option-names.ts';
import { createCampaign, newCampaignId, type CampaignOptions } from '../producer/create-campaign.ts';
import { markIntakeAlive } from '../producer/intake-liveness.ts';
import { createTemplatePreflight } from '../producer/template-preflight.ts';
import { EXPORT_OUTCOMES, exportRecipients, formatRows, type ExportOutcome } from '../producer/export-recipients.ts';
import { readRecipients, recipientsFromValues, type RecipientFormat } from '../producer/read-recipients.ts';
import type { TemplateComponent } from '../shared/outbound-message.ts';
import { placeholdersOf } from '../shared/template-components.ts';
import { recipientPlaceholders } from '../shared/click-token.ts';
import { retryCampaign } from '../producer/retry-campaign.ts';
import { describeCampaign } from '../report/campaign-report.ts';
import { campaignStatus } from '../shared/campaign-status.ts';
import { LitecastError } from '../shared/errors.ts';
import type { ApiDeps } from './api-deps.ts';
import { guardUpload } from './guard-upload.ts';
import { checkIdempotencyKey, createIdempotency, requestFingerprint } from './idempotency.ts';

/** The query parameters of an upload: the campaign options, with the template spelt out flat. */
const QUERY_NAMES = ['channelId', 'template', 'language', 'components', 'ttlSeconds', 'route', 'cloudShare', 'batchSize', 'startAt', 'activitySharing', 'id', 'sendWindow', 'priority', 'skipTemplateCheck', 'productPolicy'] as const;

const UPLOAD_TYPES: Record<string, RecipientFormat> = { 'text/csv': 'csv', 'application/csv': 'csv', 'application/x-ndjson': 'ndjson', 'application/jsonl': 'ndjson' };

/** Campaign options from the query string of an upload (`?channelId=…&template=…&language=…`). */
function optionsFromQuery(query: Record<string, string | undefined>): CampaignOptions {
  checkOptionNames(query, QUERY_NAMES, 'query parameter ');
  const number = (name: string) => {
    const value = query[name];
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new LitecastError('LITECAST_ERR_VALIDATION', `Invalid campaign: ${name}: must be a number, got "${value}"`);
    return n;
  };
  let components: unknown = [];
  if (query.components) {
    try {
      components = JSON.parse(query.components);
    } catch {
      throw new LitecastError('LITECAST_ERR_VALIDATION', 'Invalid campaign: components: must be URL-encoded JSON (an array of Meta template components).');
    }
  }
  const options: Record<string, unknown> = {
    channelId: query.channelId ?? '',
    template: { name: query.template ?? '', language: query.language ?? '', components },
  };
  for (const [key, value] of [
    ['ttlSeconds', number('ttlSeconds')],
    ['batchSize', number('batchSize')],
    ['cloudShare', number('cloudShare')],
    ['route', query.route],
    ['id', query.id],
    ['productPolicy', query.productPolicy],
    ['startAt', query.startAt],
    ['sendWindow', query.sendWindow],
    ['priority', query.priority],
    ['activitySharing', query.activitySharing === undefined ? undefined : query.activitySharing === 'true' ? true : query.activitySharing === 'false' ? false : query.activitySharing],
    ['skipTemplateCheck', query.skipTemplateCheck === undefined ? undefined : query.skipTemplateCheck === 'true' ? true : query.skipTemplateCheck === 'false' ? false : query.skipTemplateCheck],
  ] as const) {
    if (value !== undefined) options[key] = value;
  }
  return options as CampaignOptions;
}

export function registerCampaignRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { ctx } = deps;
  const uploadLimit = deps.limits?.uploadBytes ?? 1024 * 1024 * 1024;

  // Uploads reach the handler as a stream: a million rows never sit in memory.
  app.addContentTypeParser(Object.keys(UPLOAD_TYPES), (_request, payload, done) => done(null, payload));

  const describe = (id: string) => describeCampaign(ctx, id);
  const idempotency = createIdempotency(ctx.redis, ctx.keys);
  // Templates are listed once per channel every few minutes, not once per campaign.
  const templatePreflight = createTemplatePreflight({ channels: ctx.channels, timeoutMs: ctx.config.httpTimeoutMs });
  app.addHook('onClose', async () => templatePreflight.close());

  app.post<{ Body: unknown; Querystring: Record<string, string | undefined> }>(
    '/v1/campaigns',
    {
      schema: {
        summary: 'Create a campaign: JSON with inline recipients, or a CSV/NDJSON upload with the options in the query string',
        querystring: {
          type: 'object',
          properties: {
            channelId: { type: 'string' },
            template: { type: 'string' },
            language: { type: 'string' },
            components: { type: 'string', description: 'URL-encoded JSON array of template components' },
            ttlSeconds: { type: 'integer' },
            route: { type: 'string', enum: ['lite', 'cloud', 'split'] },
            cloudShare: { type: 'number', description: 'with route split: percent of recipients sent through the Cloud API (1–99)' },
            batchSize: { type: 'integer' },
            startAt: { type: 'string' },
            activitySharing: { type: 'string', enum: ['true', 'false'] },
            id: { type: 'string' },
            sendWindow: { type: 'string', description: 'HH:MM-HH:MM in each recipient\'s local time, e.g. 09:00-20:00' },
            priority: { type: 'string', enum: ['high', 'normal', 'low'] },
            productPolicy: { type: 'string', enum: ['STRICT', 'CLOUD_API_FALLBACK'] },
            skipTemplateCheck: { type: 'string', enum: ['true', 'false'], description: "skip checking the template against the channel's 360dialog template listing" },
          },
        },
        body: {
          type: 'object',
          description: 'application/json: the options plus "recipients"; text/csv or application/x-ndjson: the recipient file itself',
          properties: {
            channelId: { type: 'string' },
            template: { type: 'object', properties: { name: { type: 'string' }, language: { type: 'string' }, components: { type: 'array', items: { type: 'object' } } } },
            ttlSeconds: { type: 'integer', minimum: 43200, maximum: 2592000 },
            route: { type: 'string', enum: ['lite', 'cloud', 'split'] },
            cloudShare: { type: 'number', minimum: 1, maximum: 99 },
            activitySharing: { type: 'boolean' },
            productPolicy: { type: 'string', enum: ['STRICT', 'CLOUD_API_FALLBACK'], description: 'product_policy of the MM Lite sends: STRICT = MM only (a clean MM group in a split)' },
            skipTemplateCheck: { type: 'boolean' },
            startAt: { type: 'string', format: 'date-time' },
            batchSize: { type: 'integer', minimum: 1, maximum: 1000 },
            sendWindow: { type: 'string', example: '09:00-20:00', description: 'send only inside this window of each recipient\'s local time (zone from a "timezone" field, else the number\'s country)' },
            priority: { type: 'string', enum: ['high', 'normal', 'low'], default: 'normal' },
            recipients: { type: 'array', items: { type: 'object', properties: { phone: { type: 'string' } }, additionalProperties: { type: 'string' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const idempotencyKey = checkIdempotencyKey(request.headers['idempotency-key']);
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const format = UPLOAD_TYPES[type];
      let options: CampaignOptions;
      let recipients: unknown[] | undefined;
      if (format) {
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > uploadLimit) {
          // Refused before reading a byte: a 1 GB file costs nothing.
          void reply.header('connection', 'close');
          throw new LitecastError('LITECAST_ERR_PAYLOAD_TOO_LARGE', `The upload is ${declared} bytes, over the limit of ${uploadLimit}; split the recipients into several campaigns.`);
        }
        options = optionsFromQuery(request.query);
      } else {
        const body = request.body;
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new LitecastError('LITECAST_ERR_VALIDATION', 'The body must be a JSON object with the campaign options and "recipients".');
        const { recipients: given, ...rest } = body as Record<string, unknown>;
        if (given === undefined) throw new LitecastError('LITECAST_ERR_VALIDATION', 'Invalid campaign: recipients: required (or upload a CSV/NDJSON file with content-type text/csv or application/x-ndjson).');
        if (!Array.isArray(given)) throw new LitecastError('LITECAST_ERR_VALIDATION', 'recipients must be an array of objects like {"phone": "4915112345678", "name": "Ana"}.');
        options = rest as CampaignOptions;
        recipients = given;
      }
      // The id is fixed before intake starts, so the intake can mark itself alive under it.
      const id = options.id ?? newCampaignId();

      const create = async () => {
        const stopMarking = await markIntakeAlive(ctx.redis, ctx.keys, id);
        try {
          // A CSV header without a column for a template placeholder is refused before any row is kept.
          const components = options.template?.components;
          // (Not validated yet: placeholdersOf only walks the strings, so any JSON shape is safe here.)
          const requiredColumns = Array.isArray(components) ? recipientPlaceholders(placeholdersOf(components as TemplateComponent[])) : [];
          const upload = () => readRecipients(guardUpload(request.body as Readable, { limitBytes: uploadLimit, idleTimeoutMs: ctx.config.intakeIdleTimeoutMs }), format ?? 'csv', { requiredColumns });
          const rows = recipients ? recipientsFromValues(recipients) : upload();
          const summary = await createCampaign({ ...ctx, templatePreflight }, { ...options, id }, rows);
          return { statusCode: 201, body: { id: summary.id, batches: summary.batches, rejected: summary.rejected, counts: summary.counts, ...(summary.warnings ? { warnings: summary.warnings } : {}) } };
        } catch (error) {
          // The client may still be sending the rest of an upload: answer, then close the
          // connection instead of reading (or waiting for) the remaining bytes.
          if (format) void reply.header('connection', 'close');
          throw error;
        } finally {
          await stopMarking();
        }
      };
      if (!idempotencyKey) {
        const answer = await create();
        return reply.code(answer.statusCode).send(answer.body);
      }
      // An upload cannot be hashed before it is read: its fingerprint is the options and the declared length.
      const fingerprint = requestFingerprint(format ? [type, request.query, request.headers['content-length'] ?? null] : [type, request.body]);
      const answer = await idempotency.run(idempotencyKey, fingerprint, create);
      if (answer.replayed && format) void reply.header('connection', 'close');
      return reply.code(answer.statusCode).header('idempotent-replayed', String(answer.replayed)).send(answer.body);
    },
  );

  app.get<{ Querystring: { offset?: string; limit?: string } }>(
    '/v1/campaigns',
    { schema: { summary: 'List campaigns, newest first', querystring: { type: 'object', properties: { offset: { type: 'integer' }, limit: { type: 'integer', maximum: 200 } } } } },
    async (request) => {
      const offset = Math.max(0, Number(request.query.offset ?? 0) || 0);
      const limit = Math.min(200, Math.max(1, Number(request.query.limit ?? 50) || 50));
      const { ids, total } = await ctx.campaigns.listIds(offset, limit);
      const campaigns = await Promise.all(ids.map((id) => campaignStatus(ctx.campaigns, id).catch(() => undefined)));
      return { campaigns: campaigns.filter((c) => c !== undefined), total, offset, limit };
    },
  );

  app.get<{ Params: { id: string } }>('/v1/campaigns/:id', { schema: { summary: 'A campaign: state, counters, errors by code, ETA and the funnel per route' } }, async (request) => describe(request.params.id));

  for (const [action, run] of [
    ['pause', pauseCampaign],
    ['resume', resumeCampaign],
    ['cancel', cancelCampaign],
  ] as const) {
    app.post<{ Params: { id: string } }>(`/v1/campaigns/:id/${action}`, { schema: { summary: `${action[0]?.toUpperCase()}${action.slice(1)} a campaign` } }, async (request) => {
      await run(ctx, request.params.id);
      return describe(request.params.id);
    });
  }

  app.post<{ Params: { id: string }; Querystring: { includeUnknown?: string } }>(
    '/v1/campaigns/:id/retry',
    {
      schema: {
        summary: 'Send again to recipients whose last error can succeed later (never to those already sent); with includeUnknown=true also to unknown ones with no webhook after the quiet period (a few may get it twice)',
        querystring: { type: 'object', properties: { includeUnknown: { type: 'string', enum: ['true', 'false'] } } },
      },
    },
    async (request) => {
      const { includeUnknown } = request.query;
      if (includeUnknown !== undefined && includeUnknown !== 'true' && includeUnknown !== 'false') throw new LitecastError('LITECAST_ERR_VALIDATION', `includeUnknown: must be true or false, got "${includeUnknown.slice(0, 20)}"`);
      const result = await retryCampaign(ctx, request.params.id, { includeUnknown: includeUnknown === 'true', quietMs: ctx.config.unknownQuietMs });
      return { ...result, campaign: await describe(request.params.id) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { outcome?: string; format?: string } }>(
    '/v1/campaigns/:id/recipients',
    {
      schema: {
        summary: 'Recipients with their outcome (rows rejected at intake included, as "skipped"), streamed as NDJSON or CSV',
        querystring: { type: 'object', properties: { outcome: { type: 'string', enum: [...EXPORT_OUTCOMES] }, format: { type: 'string', enum: ['ndjson', 'csv'] } } },
      },
    },
    async (request, reply) => {
      const { outcome, format = 'ndjson' } = request.query;
      if (outcome !== undefined && !EXPORT_OUTCOMES.includes(outcome as ExportOutcome)) {
        throw new LitecastError('LITECAST_ERR_VALIDATION', `outcome: must be one of ${EXPORT_OUTCOMES.join(', ')}, got "${outcome}"`);
      }
      if (format !== 'ndjson' && format !== 'csv') throw new LitecastError('LITECAST_ERR_VALIDATION', `format: must be ndjson or csv, got "${format}"`);
      await ctx.campaigns.require(request.params.id);
      const rows = exportRecipients(ctx.redis, ctx.keys, ctx.campaigns, request.params.id, outcome as ExportOutcome | undefined);
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('content-disposition', `attachment; filename="${request.params.id}-${outcome ?? 'all'}.${format}"`)
        .send(Readable.from(formatRows(rows, format)));
    },
  );
}
