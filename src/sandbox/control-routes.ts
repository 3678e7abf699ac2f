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
  from: string;
  value: 'stop' | 'resume';
}

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
  /** Sends every pending webhook now and waits until all are delivered or given up. */
  flushWebhooks(): Promise<void>;
}

/** What the webhook-configuration endpoints need. */
export interface WebhookSettingsPort {
  /** Channel id for an API key, or undefined when the key is unknown. */
  channelIdForKey(apiKey: string | undefined): string | undefined;
  setWebhook(channelId: string, url: string, headers: Record<string, string>): void;
  getWebhookUrl(channelId: string): string | undefined;
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
const preferenceSchema = z.strictObject({
  channel: z.string().min(1).optional(),
  from: z.string().regex(/^\d{6,15}$/, 'expected a phone number, digits only'),
  value: z.enum(['stop', 'resume']),
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
      if (method === 'GET') return { status: 200, body: { url: webhooks.getWebhookUrl(channelId) ?? null } };
      if (method !== 'POST') return undefined;
      const { url, headers } = parse(webhookConfigSchema, parseBody(request.rawBody), 'webhook config');
      webhooks.setWebhook(channelId, url, headers);
      return { status: 200, body: { url } };
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
