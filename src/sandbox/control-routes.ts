import { z } from 'zod';
import type { FaultRuleInput } from './fault-rules.ts';
import { formatConfigIssues } from './format-config-issues.ts';
import type { AcceptedMessage } from './message-log.ts';
import type { SandboxConfig, SandboxConfigInput } from './sandbox-config.ts';
import { INVALID_API_TOKEN_BODY } from './sandbox-errors.ts';
import type { SandboxStats } from './sandbox-stats.ts';

/** An inbound text message to simulate. */
export interface InboundInput {
  /** API key or phone number id of the receiving channel (default: the first channel). */
  channel?: string;
  from: string;
  text: string;
  /** Profile name of the sender (default "Sandbox User"). */
  name?: string;
}

/** A marketing-preference change to simulate (`stop` = opt-out, `resume` = opt back in). */
export interface PreferenceInput {
  channel?: string;
  /** The user's wa_id; omit it (and give `userId`) for a BSUID-only webhook. */
  from?: string;
  userId?: string;
  value: 'stop' | 'resume';
}

/** A quick-reply button tap on a sent template (e.g. the "Stop promotions" button). */
export interface ButtonReplyInput {
  channel?: string;
  from?: string;
  userId?: string;
  /** Button text (default "Stop promotions"); the payload defaults to the text. */
  text?: string;
  payload?: string;
  /** wamid of the template message the button belongs to. */
  contextWamid?: string;
}

/** A template status change Meta announces (`message_template_status_update`). */
export interface TemplateStatusInput {
  channel?: string;
  name: string;
  language?: string;
  event: 'PAUSED' | 'DISABLED' | 'APPROVED';
  /** Meta's reason text (default per event). */
  reason?: string;
}

/** One template as `GET /v1/configs/templates` lists it. */
export type ListedTemplate = Record<string, unknown>;

/** The operations the control endpoints expose; the sandbox object offers the same ones. */
export interface SandboxControl {
  /** Accepted messages, from index `since` on. */
  messages(since?: number): AcceptedMessage[];
  stats(): SandboxStats;
  /** Replaces the fault rules (validated; throws listing every problem). */
  setFaults(rules: readonly FaultRuleInput[]): void;
  /** Merges a partial configuration (arrays replace; `webhook`/`pairLimit` merge by field). */
  configure(partial: Partial<SandboxConfigInput>): SandboxConfig;
  /** Back to the start configuration: no messages, zeroed stats, start faults, no webhook overrides. */
  reset(): void;
  /** Emits an inbound text message webhook; returns its message id. */
  emitInbound(input: InboundInput): { id: string };
  /** Emits a `user_preferences` webhook (category `marketing_messages`). */
  emitUserPreference(input: PreferenceInput): void;
  /** Emits a `messages[].type: "button"` webhook; returns its message id. */
  emitButtonReply(input: ButtonReplyInput): { id: string };
  /** Sets the template's status (PAUSED/DISABLED refuse later sends) and emits the status webhook. */
  emitTemplateStatus(input: TemplateStatusInput): void;
  /** Sends every pending webhook now and waits until all are delivered or given up. */
  flushWebhooks(): Promise<void>;
}

/** What the webhook-configuration endpoints need. */
export interface WebhookSettingsPort {
  /** Channel id for an API key, or undefined when the key is unknown. */
  channelIdForKey(apiKey: string | undefined): string | undefined;
  setWebhook(channelId: string, url: string, headers: Record<string, string>): void;
  getWebhook(channelId: string): { url: string; headers: Record<string, string> } | undefined;
  /** The configured templates in 360dialog's listing shape. */
  listTemplates(): ListedTemplate[];
}

/** An answer to a non-send request. */
export interface ControlAnswer {
  status: number;
  body: unknown;
}

const inboundSchema = z.strictObject({
  channel: z.string().min(1).optional(),
  from: z.string().regex(/^\d{6,15}$/, 'expected a phone number, digits only'),
  text: z.string(),
  name: z.string().optional(),
});
const phoneSchema = z.string().regex(/^\d{6,15}$/, 'expected a phone number, digits only');
const senderRefinement = (input: { from?: string | undefined; userId?: string | undefined }) => input.from !== undefined || input.userId !== undefined;
const preferenceSchema = z
  .strictObject({
    channel: z.string().min(1).optional(),
    from: phoneSchema.optional(),
    userId: z.string().min(1).optional(),
    value: z.enum(['stop', 'resume']),
  })
  .refine(senderRefinement, 'give from (wa_id) or userId');
const buttonReplySchema = z
  .strictObject({
    channel: z.string().min(1).optional(),
    from: phoneSchema.optional(),
    userId: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
    payload: z.string().min(1).optional(),
    contextWamid: z.string().min(1).optional(),
  })
  .refine(senderRefinement, 'give from (wa_id) or userId');
const templateStatusSchema = z.strictObject({
  channel: z.string().min(1).optional(),
  name: z.string().min(1),
  language: z.string().min(1).optional(),
  event: z.enum(['PAUSED', 'DISABLED', 'APPROVED']),
  reason: z.string().optional(),
});
const webhookConfigSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).default({}),
});

function parse<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw new Error(`Invalid ${what}:\n${formatConfigIssues(result.error)}`);
  return result.data;
}

function parseBody(rawBody: string): unknown {
  if (rawBody.trim() === '') return {};
  try {
    return JSON.parse(rawBody);
  } catch {
    throw new Error('The request body is not valid JSON.');
  }
}

/**
 * Answers the control endpoints (`/_sandbox/*`, no API key) and 360dialog's webhook configuration
 * (`/v1/configs/webhook`, API key required). Returns undefined for unknown routes.
 */
export async function handleControlRequest(
  control: SandboxControl,
  webhooks: WebhookSettingsPort,
  request: { method: string; path: string; query: URLSearchParams; apiKey: string | undefined; rawBody: string },
): Promise<ControlAnswer | undefined> {
  const { method, path } = request;
  try {
    if (path === '/v1/configs/webhook' || path === '/configs/webhook') {
      const channelId = webhooks.channelIdForKey(request.apiKey);
      if (channelId === undefined) return { status: 401, body: INVALID_API_TOKEN_BODY };
      // Shape: WEBHOOK_SOURCES.webhookConfig.
      if (method === 'GET') return { status: 200, body: webhooks.getWebhook(channelId) ?? { url: null, headers: {} } };
      if (method !== 'POST') return undefined;
      const { url, headers } = parse(webhookConfigSchema, parseBody(request.rawBody), 'webhook config');
      webhooks.setWebhook(channelId, url, headers);
      return { status: 200, body: { url, headers } };
    }
    if ((path === '/v1/configs/templates' || path === '/configs/templates') && method === 'GET') {
      if (webhooks.channelIdForKey(request.apiKey) === undefined) return { status: 401, body: INVALID_API_TOKEN_BODY };
      const templates = webhooks.listTemplates();
      // Shape: WEBHOOK_SOURCES.templatesList (360dialog's paged listing).
      return { status: 200, body: { count: templates.length, total: templates.length, offset: 0, limit: 1000, filters: {}, sort: ['id'], waba_templates: templates } };
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /_sandbox/health':
        return { status: 200, body: { ok: true } };
      case 'GET /_sandbox/messages': {
        const since = Number(request.query.get('since') ?? '0');
        if (!Number.isInteger(since) || since < 0) throw new Error('since must be a non-negative integer');
        const messages = control.messages(since);
        return { status: 200, body: { messages, next: since + messages.length } };
      }
      case 'GET /_sandbox/stats':
        return { status: 200, body: control.stats() };
      case 'POST /_sandbox/faults': {
        const raw = parseBody(request.rawBody);
        const rules = Array.isArray(raw) ? raw : (raw as { faults?: unknown }).faults;
        control.setFaults((rules ?? []) as FaultRuleInput[]);
        return { status: 200, body: { ok: true } };
      }
      case 'POST /_sandbox/config':
        return { status: 200, body: { config: control.configure(parseBody(request.rawBody) as Partial<SandboxConfigInput>) } };
      case 'POST /_sandbox/reset':
        control.reset();
        return { status: 200, body: { ok: true } };
      case 'POST /_sandbox/inbound':
        return { status: 200, body: control.emitInbound(parse(inboundSchema, parseBody(request.rawBody), 'inbound message')) };
      case 'POST /_sandbox/user-preference':
        control.emitUserPreference(parse(preferenceSchema, parseBody(request.rawBody), 'user preference'));
        return { status: 200, body: { ok: true } };
      case 'POST /_sandbox/button-reply':
        return { status: 200, body: control.emitButtonReply(parse(buttonReplySchema, parseBody(request.rawBody), 'button reply')) };
      case 'POST /_sandbox/template-status':
        control.emitTemplateStatus(parse(templateStatusSchema, parseBody(request.rawBody), 'template status'));
        return { status: 200, body: { ok: true } };
      case 'POST /_sandbox/flush-webhooks':
        await control.flushWebhooks();
        return { status: 200, body: { ok: true } };
      default:
        return undefined;
    }
  } catch (error) {
    return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
  }
}
