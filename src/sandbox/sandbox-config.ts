import { createHash } from 'node:crypto';
import { z } from 'zod';
import { faultRuleSchema } from './fault-rules.ts';
import { latencySchema } from './latency-model.ts';
import { formatConfigIssues } from './format-config-issues.ts';

/** A number (`"4915112345678"`) or a prefix ending in `*` (`"49*"`, or `"*"` for everyone). */
const numberPatternSchema = z.string().regex(/^(\d+|\d*\*)$/, 'expected digits, optionally ending in *');
const digitsSchema = z.string().regex(/^\d+$/, 'expected digits only');
const rateSchema = z.number().min(0).max(1);
const msSchema = z.number().int().nonnegative();

/** Derives a stable numeric id from an API key, so a channel's ids never depend on its position. */
function deriveDigits(apiKey: string, salt: string, length: number): string {
  const hex = createHash('sha256').update(`${salt}:${apiKey}`).digest('hex').slice(0, 15);
  return (BigInt(`0x${hex}`) % 10n ** BigInt(length)).toString().padStart(length, '1');
}

const channelSchema = z
  .strictObject({
    /** The channel's `D360-API-KEY` (compared verbatim; a `Bearer ` prefix is also accepted). */
    apiKey: z.string().min(1),
    /** Meta phone number id; this is the channel id seen in stats, messages and webhooks. Default derived from the key. */
    phoneNumberId: digitsSchema.optional(),
    /** Number shown in webhook metadata. Default derived from the key (`1555…`). */
    displayPhoneNumber: digitsSchema.optional(),
    /** WhatsApp business account id used as `entry[].id` in webhooks. Default derived from the key. */
    wabaId: digitsSchema.optional(),
    /** Messages per second Meta allows this number (80 by default, 1000 after an upgrade). */
    mps: z.number().int().positive().default(80),
    /**
     * Simulated inbound traffic (msg/s) counted against the same per-number limit, as Meta does:
     * only `mps − inboundMps` outbound messages fit in a sliding second, the excess is answered
     * 130429 (the shared budget; default 0).
     */
    inboundMps: z.number().nonnegative().default(0),
    /**
     * MM Lite status: `onboarded` delivers via MM Lite; `not-onboarded` refuses every
     * `/marketing_messages` call with 131055; `meta-fallback` accepts but Meta delivers via Cloud
     * API (webhooks say `marketing`).
     */
    lite: z.enum(['onboarded', 'not-onboarded', 'meta-fallback']).default('onboarded'),
    /**
     * 360dialog's smart routing (on by default for every number, [D-MMtech]): a MARKETING template
     * sent to `/messages` goes out through MM when the channel is onboarded, so its webhooks say
     * `marketing_lite`. `false` = the number opted out through 360dialog support.
     */
    smartRouting: z.boolean().default(true),
    /** Business-scoped user ids: statuses carry `recipient_user_id` and no phone, responses `user_id`. */
    bsuid: z.boolean().default(false),
  })
  .transform((channel) => ({
    ...channel,
    phoneNumberId: channel.phoneNumberId ?? deriveDigits(channel.apiKey, 'phone-number-id', 15),
    displayPhoneNumber: channel.displayPhoneNumber ?? `1555${deriveDigits(channel.apiKey, 'display', 7)}`,
    wabaId: channel.wabaId ?? deriveDigits(channel.apiKey, 'waba', 15),
  }));

const templateSchema = z.strictObject({
  name: z.string().min(1),
  /** Language code the template is approved in (default `en`). */
  language: z.string().min(1).default('en'),
  category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']).default('MARKETING'),
  status: z.enum(['APPROVED', 'PAUSED', 'DISABLED']).default('APPROVED'),
  /** Expected number of body parameters; when set, another count is refused with 132000. */
  bodyParams: z.number().int().nonnegative().optional(),
  /**
   * `message_status` in the 200 answer: `held_for_quality_assessment` or `paused` when Meta holds the
   * template's sends (template pacing) instead of `accepted`.
   */
  messageStatus: z.enum(['accepted', 'held_for_quality_assessment', 'paused']).default('accepted'),
  /** When set, `/marketing_messages` refuses this template with that documented MM refusal (template scope). */
  liteRefusal: z.union([z.literal(134100), z.literal(134101), z.literal(134102), z.literal(134103), z.literal(200)]).optional(),
  /** Components as `GET /v1/configs/templates` lists them (default: a body with `bodyParams` placeholders). */
  components: z.array(z.record(z.string(), z.unknown())).optional(),
  /** Creation time (ISO) listed by `GET /v1/configs/templates`; default a fixed date long ago. */
  createdAt: z.iso.datetime().default('2025-01-01T00:00:00Z'),
});

const recipientErrorSchema = z.strictObject({
  /** Number or prefix (`"1*"`). */
  match: numberPatternSchema,
  /** Meta error code to answer or to put in the `failed` webhook (e.g. 131026, 131049, 131050). */
  code: z.number().int(),
  /** HTTP status of the synchronous answer (default 400). */
  httpStatus: z.number().int().min(100).max(599).default(400),
  /** Route the error applies to (default any). */
  endpoint: z.enum(['lite', 'cloud', 'any']).default('any'),
  /** When true the message is accepted (200) and a `failed` status webhook carries the code. */
  async: z.boolean().default(false),
});

const webhookSchema = z.strictObject({
  /** Default webhook URL for every channel (a URL set with `POST /v1/configs/webhook` wins). */
  url: z.url({ protocol: /^https?$/ }).nullish(),
  /** Extra headers on every webhook POST (360dialog's "custom headers"). */
  headers: z.record(z.string(), z.string()).default({}),
  /** When set, each POST carries `x-360dialog-signature`: hex HMAC-SHA256 of the raw body. */
  signingSecret: z.string().min(1).optional(),
  /** Delay from acceptance to the `sent` status (ms, default 20). */
  sentDelayMs: msSchema.default(20),
  /** Delay from acceptance to `delivered` (ms, default 50). */
  deliveredDelayMs: msSchema.default(50),
  /** Delay from acceptance to `read` (ms, default 100). */
  readDelayMs: msSchema.default(100),
  /**
   * Pricing on `sent` too (default true, as Meta does); the first of `delivered`/`read` is always
   * priced and later ones never are.
   */
  pricingOnSent: z.boolean().default(true),
  /** Delay from acceptance to a link click (ms, default 150; lite deliveries only). */
  clickDelayMs: msSchema.default(150),
  /** Share of delivered messages that are read (default 0.5). */
  readRate: rateSchema.default(0.5),
  /** Share of read MM Lite messages whose link is clicked (default 0.2). */
  clickRate: rateSchema.default(0.2),
  /** Share of statuses delivered twice (default 0), as Meta's at-least-once delivery does. */
  duplicateRate: rateSchema.default(0),
  /** Share of read messages whose `read` arrives before `delivered` (default 0). */
  outOfOrderRate: rateSchema.default(0),
  /** Most statuses in one POST (default 50). */
  batchMaxStatuses: z.number().int().min(1).max(1000).default(50),
  /** Longest a status waits for its batch to fill (ms, default 25). */
  batchMaxWaitMs: msSchema.default(25),
  /** Retries of a failed POST before it counts in `webhookFailures` (default 3). */
  maxRetries: z.number().int().min(0).max(10).default(3),
  /** First retry delay in ms, doubled on each retry (default 100). */
  retryBaseMs: msSchema.default(100),
  /** A POST not answered within this many ms is a failure (default 5000, 360dialog's limit). */
  timeoutMs: z.number().int().positive().default(5000),
});

/** Schema of the sandbox configuration; every field is optional and documented with its default. */
export const sandboxConfigSchema = z
  .strictObject({
    /** Sending numbers; default one channel with API key `sandbox-key` at 80 mps. */
    channels: z.array(channelSchema).min(1).prefault([{ apiKey: 'sandbox-key' }]),
    /** Approved templates; default `litecast_promo` (marketing, 1 body param) and `order_update` (utility). */
    templates: z
      .array(templateSchema)
      .prefault([{ name: 'litecast_promo', bodyParams: 1 }, { name: 'order_update', category: 'UTILITY' }]),
    /**
     * Numbers/prefixes whose `/marketing_messages` sends get 131009 with the "template not yet
     * synced" body (a real refusal; the per-recipient selection is only the sandbox's way to pick
     * who gets it). The client should fall back to `/messages`.
     */
    liteIneligibleRecipients: z.array(numberPatternSchema).default([]),
    /** Per-recipient errors, synchronous or as a later `failed` webhook. */
    recipientErrors: z.array(recipientErrorSchema).default([]),
    /** Report Brazilian/Mexican numbers under the wa_id Meta uses for them (default true, see wa-id-for.ts). */
    realisticWaIds: z.boolean().default(true),
    /** Fault rules active at start (see fault-rules.ts). */
    faults: z.array(faultRuleSchema).default([]),
    /** Seed of every random decision (default 1). */
    seed: z.number().int().default(1),
    /** Meta's pair rate limit per (channel, recipient): a bucket of `burst` refilled one per `refillSeconds`. */
    pairLimit: z
      .strictObject({
        burst: z.number().int().positive().default(45),
        refillSeconds: z.number().positive().default(6),
      })
      .prefault({}),
    /** Refuse with 130429 when a channel gets more than `mps` message POSTs in the trailing second (default true). */
    enforceMps: z.boolean().default(true),
    webhook: webhookSchema.prefault({}),
    /** Extra delay before every successful answer (ms, default 0). */
    latencyMs: msSchema.default(0),
    /** Answer time of every message POST (accepted or refused) as a seeded distribution; default none. */
    latency: latencySchema.optional(),
    /** Keep each accepted request body in `/_sandbox/messages` (default true; turn off for long benchmarks). */
    recordPayloads: z.boolean().default(true),
  })
  .superRefine((config, ctx) => {
    const seen = (values: string[], path: string, what: string) => {
      const set = new Set<string>();
      values.forEach((value, index) => {
        if (set.has(value)) ctx.addIssue({ code: 'custom', path: [path, index], message: `duplicate ${what} "${value}"` });
        set.add(value);
      });
    };
    seen(config.channels.map((c) => c.apiKey), 'channels', 'apiKey');
    seen(config.channels.map((c) => c.phoneNumberId), 'channels', 'phoneNumberId');
    seen(config.templates.map((t) => `${t.name}/${t.language}`), 'templates', 'template name/language');
  });

/** The parsed sandbox configuration (all defaults filled in). */
export type SandboxConfig = z.output<typeof sandboxConfigSchema>;
/** The configuration as written in a JSON file (every field optional). */
export type SandboxConfigInput = z.input<typeof sandboxConfigSchema>;
/** One configured channel. */
export type SandboxChannel = SandboxConfig['channels'][number];
/** One configured template. */
export type SandboxTemplate = SandboxConfig['templates'][number];

/** Parses a raw configuration, throwing one Error that lists every invalid field by path. */
export function parseSandboxConfig(json: unknown): SandboxConfig {
  const result = sandboxConfigSchema.safeParse(json ?? {});
  if (!result.success) throw new Error(`Invalid sandbox config:\n${formatConfigIssues(result.error)}`);
  return result.data;
}

/**
 * Merges a partial configuration into `current`: top-level fields replace (arrays included), while
 * `webhook` and `pairLimit` are merged field by field. The result is validated as a whole.
 */
export function mergeSandboxConfig(current: SandboxConfig, partial: unknown): SandboxConfig {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new Error('Invalid sandbox config:\n- (root): expected an object');
  }
  const patch = partial as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...current, ...patch };
  for (const key of ['webhook', 'pairLimit'] as const) {
    const value = patch[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) merged[key] = { ...current[key], ...value };
  }
  return parseSandboxConfig(merged);
}
