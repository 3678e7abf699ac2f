import { z } from 'zod';
import { formatConfigIssues } from './format-config-issues.ts';
import { matchesNumberPattern } from './number-pattern.ts';
import type { Random } from './seeded-random.ts';

const endpointSchema = z.enum(['lite', 'cloud', 'any']);
const delaySchema = z.number().int().nonnegative();

/** What a fault does to the request it hits. */
export const faultEffectSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    /** HTTP status to answer with (e.g. 500, 502, 503). */
    status: z.number().int().min(100).max(599),
    /** Body to send: a string goes out as text/plain, anything else as JSON. Default depends on status. */
    body: z.unknown().optional(),
  }),
  z.strictObject({
    type: z.literal('error'),
    /** Meta error code (e.g. 131000, 130429, 131048). */
    code: z.number().int(),
    /** HTTP status; default from the error catalogue. */
    httpStatus: z.number().int().min(100).max(599).optional(),
    /** Envelope; default `wrapped` on the lite route and `meta` on the cloud route. */
    envelope: z.enum(['meta', 'wrapped', 'plain']).optional(),
    details: z.string().optional(),
    message: z.string().optional(),
    subcode: z.number().int().optional(),
  }),
  z.strictObject({
    type: z.literal('d360-rate-limit'),
    /** Value of the Retry-After header, in seconds (default 1). */
    retryAfterSeconds: z.number().int().nonnegative().default(1),
    /** HTTP status (default 429; 360dialog's docs also show 400 for this answer). */
    httpStatus: z.number().int().min(100).max(599).default(429),
    /** `plain` = `{"error":"…"}` as documented; `object` = `{"error":{"message":"…"}}` as seen by third-party code. */
    shape: z.enum(['plain', 'object']).default('plain'),
  }),
  /** Never answers (or answers 504 after `ms`); the message is not accepted. */
  z.strictObject({ type: z.literal('hang'), ms: delaySchema.optional() }),
  /** Accepts the message (recorded, webhooks follow) but the answer never comes, or comes after `ms`. */
  z.strictObject({ type: z.literal('hang-after-accept'), ms: delaySchema.optional() }),
  /** Waits `ms`, then processes the request normally. */
  z.strictObject({ type: z.literal('slow'), ms: delaySchema }),
  /** Destroys the socket without an answer; not accepted. */
  z.strictObject({ type: z.literal('reset') }),
  /** Answers 200 with an HTML body instead of JSON; not accepted. */
  z.strictObject({ type: z.literal('invalid-json') }),
]);

/** One fault-injection rule: a filter plus an effect. Rules are checked in order; the first match applies. */
export const faultRuleSchema = z.strictObject({
  /** Which route the rule applies to (default any). */
  endpoint: endpointSchema.default('any'),
  /** Only requests made with this API key. */
  channel: z.string().min(1).optional(),
  /** Only requests to this number or prefix (`"49*"`). */
  to: z.string().min(1).optional(),
  /** Probability that a matching request is hit (default 1). */
  rate: z.number().min(0).max(1).default(1),
  /** Apply at most this many times, then the rule is spent. */
  count: z.number().int().positive().optional(),
  effect: faultEffectSchema,
});

/** A parsed fault rule. */
export type FaultRule = z.infer<typeof faultRuleSchema>;
/** A fault rule as written (defaults not yet applied). */
export type FaultRuleInput = z.input<typeof faultRuleSchema>;
/** A parsed fault effect. */
export type FaultEffect = z.infer<typeof faultEffectSchema>;

/** What a fault rule can see of a request. */
export interface FaultContext {
  route: 'lite' | 'cloud';
  apiKey: string | undefined;
  to: string | undefined;
}

/** The active fault rules with their remaining counts. */
export interface FaultSet {
  /** Returns the effect of the first rule that matches and fires, consuming one of its uses. */
  pick(context: FaultContext): FaultEffect | undefined;
  /** The rules still configured (spent rules included). */
  readonly rules: readonly FaultRule[];
}

/** Builds a fault set from parsed rules; rate draws come from `random` so runs are reproducible. */
export function createFaultSet(rules: readonly FaultRule[], random: Random): FaultSet {
  const remaining = rules.map((rule) => rule.count ?? Number.POSITIVE_INFINITY);
  return {
    rules,
    pick(context) {
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]!;
        if (remaining[i]! <= 0) continue;
        if (rule.endpoint !== 'any' && rule.endpoint !== context.route) continue;
        if (rule.channel !== undefined && rule.channel !== context.apiKey) continue;
        if (rule.to !== undefined && (context.to === undefined || !matchesNumberPattern(rule.to, context.to))) continue;
        // A rule that matches but does not fire lets the next rules have their chance.
        if (rule.rate < 1 && random() >= rule.rate) continue;
        remaining[i] = remaining[i]! - 1;
        return rule.effect;
      }
      return undefined;
    },
  };
}

/** Parses a raw fault list (as posted to `/_sandbox/faults`), reporting every problem at once. */
export function parseFaultRules(raw: unknown): FaultRule[] {
  const result = z.array(faultRuleSchema).safeParse(raw);
  if (!result.success) throw new Error(`Invalid fault rules:\n${formatConfigIssues(result.error)}`);
  return result.data;
}
