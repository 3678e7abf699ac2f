/**
 * The one reader of the environment. Every setting litecast takes from `process.env` is declared
 * here with its unit and default, validated once, reported all at once, and frozen.
 */
import { z } from 'zod';
import { LitecastError } from './errors.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalSecret = (minLength: number) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v))
    .refine((v) => v === undefined || v.length >= minLength, { message: `must be at least ${minLength} characters` });

const schema = z.object({
  /**
   * Redis: `redis://host:port/db` (or `rediss://`), or a Redis Cluster as
   * `redis+cluster://host:port,host:port` (any reachable nodes). Default `redis://127.0.0.1:6379`.
   */
  REDIS_URL: z
    .string()
    .regex(/^rediss?(\+cluster)?:\/\//, 'must start with redis://, rediss:// or redis+cluster://')
    .default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and queue name, so several installations (or tests) can share one Redis. Default `litecast`. */
  LITECAST_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only (1–40)').default('litecast'),
  /** pino log level. Default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Key that encrypts channel API keys at rest (AES-256-GCM, derived with scrypt). Unset: stored in plain text. At least 16 characters. */
  LITECAST_SECRET_KEY: optionalSecret(16),
  /** Bearer token the HTTP API requires on every route but health and webhooks. At least 16 characters. */
  LITECAST_API_TOKEN: optionalSecret(16),
  /** Value 360dialog must send in the `x-litecast-webhook-secret` header (a custom header on the webhook). */
  LITECAST_WEBHOOK_SECRET: optionalSecret(8),
  /** Secret for the `x-360dialog-signature` HMAC-SHA256 of the raw webhook body; unset: signatures are not checked. */
  LITECAST_WEBHOOK_SIGNING_SECRET: optionalSecret(8),
  /** Address and port the HTTP API listens on. Defaults `0.0.0.0` and `8080`. */
  LITECAST_API_HOST: z.string().min(1).default('0.0.0.0'),
  LITECAST_API_PORT: int(0, 65535).default(8080),
  /** Per-request timeout for calls to 360dialog, in milliseconds. Default 15000. */
  LITECAST_HTTP_TIMEOUT_MS: int(100, 300_000).default(15_000),
  /**
   * Attempts per message and route (first try included) for retryable errors; with the default
   * backoff, 8 attempts ride out about a minute of 5xx answers. Throttles and refused connections
   * (the whole channel waits) do not use attempts up. Default 8.
   */
  LITECAST_SEND_MAX_ATTEMPTS: int(1, 30).default(8),
  /** First retry delay in milliseconds; doubles each attempt, with jitter. Default 500. */
  LITECAST_RETRY_BASE_MS: int(0, 600_000).default(500),
  /** Longest single retry delay in milliseconds. Default 30000. */
  LITECAST_RETRY_MAX_MS: int(0, 3_600_000).default(30_000),
  /**
   * What a response timeout means. The request reached 360dialog and may have been accepted, so a
   * retry could send twice: `unknown` (default) records the recipient as `unknown` for review;
   * `retry` re-sends it.
   */
  LITECAST_ON_AMBIGUOUS_TIMEOUT: z.enum(['unknown', 'retry']).default('unknown'),
  /** Seconds a channel/template refused by MM Lite (not onboarded) goes straight to the Cloud API before probing again. Default 3600. */
  LITECAST_LITE_REPROBE_SECONDS: int(1, 7 * 24 * 3600).default(3600),
  /** Batches a worker process works on at once (`litecast worker --concurrency` overrides it). Default 8. */
  LITECAST_WORKER_CONCURRENCY: int(1, 1000).default(8),
  /** Messages of one batch in flight at once, at least (more when the channel's in-flight budget needs it). Default 16. */
  LITECAST_BATCH_PARALLELISM: int(1, 1000).default(16),
  /**
   * Most requests of one channel in flight at once across workers; its budget is rate × recent p95
   * latency × 1.5 (Little's law), within this bound; also the most connections a worker opens to
   * one channel's 360dialog. Default 1000.
   */
  LITECAST_MAX_IN_FLIGHT: int(1, 100_000).default(1000),
  /**
   * How long a worker's hold on a batch lasts without renewal, in ms. A killed worker's batch is
   * picked up again after about this long. Default 30000.
   */
  LITECAST_JOB_LOCK_MS: int(1_000, 600_000).default(30_000),
  /** Share of a channel's messages-per-second litecast aims at, so timing jitter never crosses the limit. Default 0.97. */
  LITECAST_RATE_MARGIN: z.coerce.number().min(0.5).max(1).default(0.97),
  /**
   * How long an upload to `POST /v1/campaigns` may send nothing before the API gives up on it and
   * removes the half-read campaign, in milliseconds. Default 60000.
   */
  LITECAST_INTAKE_IDLE_TIMEOUT_MS: int(1_000, 3_600_000).default(60_000),
  /**
   * Comma-separated origins (`https://host[:port]`) a channel's base URL may point at, so a channel
   * cannot aim the workers (and its API key) at an internal service. Default: 360dialog's hosts plus
   * loopback (for the bundled sandbox).
   */
  LITECAST_ALLOWED_BASE_URLS: z
    .string()
    .default('https://waba-v2.360dialog.io,https://waba-sandbox.360dialog.io,http://127.0.0.1,http://localhost,http://[::1]'),
  /**
   * Minutes after a campaign's last send after which an `unknown` recipient with no webhook is
   * reported as "no webhook: probably not delivered". Default 15.
   */
  LITECAST_UNKNOWN_QUIET_MINUTES: int(1, 7 * 24 * 60).default(15),
  /**
   * How long a webhook body read by a consumer may stay unacknowledged before another consumer
   * takes it over (the first one is presumed dead), in ms. Default 15000.
   */
  LITECAST_WEBHOOK_CLAIM_IDLE_MS: int(100, 3_600_000).default(15_000),
});

export type Config = Readonly<{
  redisUrl: string;
  namespace: string;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  secretKey: string | undefined;
  apiToken: string | undefined;
  webhookSecret: string | undefined;
  webhookSigningSecret: string | undefined;
  apiHost: string;
  apiPort: number;
  httpTimeoutMs: number;
  sendMaxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  onAmbiguousTimeout: 'unknown' | 'retry';
  liteReprobeSeconds: number;
  workerConcurrency: number;
  batchParallelism: number;
  maxInFlight: number;
  jobLockMs: number;
  rateMargin: number;
  intakeIdleTimeoutMs: number;
  allowedBaseUrls: readonly string[];
  unknownQuietMs: number;
  webhookClaimIdleMs: number;
}>;

/** The names of every environment variable litecast reads, for the README and `--help`. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

/**
 * Parses the environment into a frozen Config. Throws one LitecastError listing every problem.
 * @param env the environment to read; `process.env` by default (this is the only place that reads it).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new LitecastError(
      'LITECAST_ERR_CONFIG',
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}\nFix these environment variables and start again.`,
      { problems },
    );
  }
  const e = result.data;
  return Object.freeze({
    redisUrl: e.REDIS_URL,
    namespace: e.LITECAST_NAMESPACE,
    logLevel: e.LOG_LEVEL,
    secretKey: e.LITECAST_SECRET_KEY,
    apiToken: e.LITECAST_API_TOKEN,
    webhookSecret: e.LITECAST_WEBHOOK_SECRET,
    webhookSigningSecret: e.LITECAST_WEBHOOK_SIGNING_SECRET,
    apiHost: e.LITECAST_API_HOST,
    apiPort: e.LITECAST_API_PORT,
    httpTimeoutMs: e.LITECAST_HTTP_TIMEOUT_MS,
    sendMaxAttempts: e.LITECAST_SEND_MAX_ATTEMPTS,
    retryBaseMs: e.LITECAST_RETRY_BASE_MS,
    retryMaxMs: e.LITECAST_RETRY_MAX_MS,
    onAmbiguousTimeout: e.LITECAST_ON_AMBIGUOUS_TIMEOUT,
    liteReprobeSeconds: e.LITECAST_LITE_REPROBE_SECONDS,
    workerConcurrency: e.LITECAST_WORKER_CONCURRENCY,
    batchParallelism: e.LITECAST_BATCH_PARALLELISM,
    maxInFlight: e.LITECAST_MAX_IN_FLIGHT,
    jobLockMs: e.LITECAST_JOB_LOCK_MS,
    rateMargin: e.LITECAST_RATE_MARGIN,
    intakeIdleTimeoutMs: e.LITECAST_INTAKE_IDLE_TIMEOUT_MS,
    allowedBaseUrls: Object.freeze(e.LITECAST_ALLOWED_BASE_URLS.split(',').map((v) => v.trim()).filter(Boolean)),
    unknownQuietMs: e.LITECAST_UNKNOWN_QUIET_MINUTES * 60_000,
    webhookClaimIdleMs: e.LITECAST_WEBHOOK_CLAIM_IDLE_MS,
  });
}

/** Reads one named variable (for `--api-key-env`), so that this module stays the only reader of the environment. */
export function readEnvironmentValue(name: string, env: Record<string, string | undefined> = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
