/**
 * The pino logger. Secrets never reach a log line: any field whose name looks like a key, token,
 * secret or authorization header is replaced, and every run of 8–15 digits (a phone number, since
 * recipients are digits in international format) is masked down to its last three digits.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

const SECRET_FIELD = /api[-_]?key|token|secret|authorization|password|d360/i;
const PHONE_RUN = /\+?\d{8,15}(?!\d)/g;
const MAX_DEPTH = 6;

/** Masks every phone-like digit run in a string: `4915112345678` → `**********678`. */
export function maskPhones(text: string): string {
  return text.replace(PHONE_RUN, (run) => '*'.repeat(run.length - 3) + run.slice(-3));
}

/** Returns a copy of a log value with secret fields redacted and phone numbers masked. */
export function scrubLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhones(value);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return value;
  if (value instanceof Error) {
    return { type: value.name, message: maskPhones(value.message), code: (value as { code?: unknown }).code, stack: value.stack ? maskPhones(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((item) => scrubLogValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) && item !== undefined && item !== null && typeof item !== 'boolean' ? '[redacted]' : scrubLogValue(item, depth + 1);
  }
  return out;
}

export type LoggerOptions = {
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream and read the lines as JSON. */
  destination?: DestinationStream;
  /** Static fields on every line, e.g. `{ component: 'worker' }`. */
  base?: Record<string, unknown>;
};

/** Creates a JSON logger that redacts secrets and masks phone numbers in fields, bindings and messages. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      formatters: {
        log: (object) => scrubLogValue(object) as Record<string, unknown>,
        bindings: (bindings) => scrubLogValue(bindings) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // The message string (and printf-style arguments) may carry a phone number too.
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? maskPhones(arg) : arg)) as Parameters<typeof method>;
          return method.apply(this, scrubbed);
        },
      },
    },
    options.destination,
  );
  // pino does not pass child bindings through `formatters.bindings`; scrub them on the way in.
  // Children inherit this property from the root logger, so it holds at every depth.
  const pinoChild = logger.child;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return pinoChild.call(this, scrubLogValue(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}
