/**
 * How one route of a send retries, as pure functions over a verdict: which verdicts end the send
 * (and how), which wait on the whole channel instead of using up the message's attempts, and how
 * long to wait before the next POST.
 */
import type { Verdict } from './classify-send-error.ts';

export type RetryPolicy = {
  /** POSTs per route for retryable errors, first try included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A response timeout may have been accepted: record `unknown` (safe) or retry (may send twice). */
  onAmbiguousTimeout: 'unknown' | 'retry';
};

/** How a verdict ends a route, or undefined when it is worth another POST. */
export type RouteEnd = 'fallback' | 'failed' | 'fatal' | 'unknown';

/** The end a verdict means on its own; undefined = retryable. */
export function endFor(verdict: Verdict, policy: Pick<RetryPolicy, 'onAmbiguousTimeout'>): RouteEnd | undefined {
  switch (verdict.class) {
    case 'fallback':
      return 'fallback';
    case 'recipient':
      return 'failed';
    case 'fatal':
      return 'fatal';
    default:
      // A timed-out request may have been accepted: re-sending it could message the user twice.
      return verdict.ambiguous && policy.onAmbiguousTimeout === 'unknown' ? 'unknown' : undefined;
  }
}

/** Throttles and unreachable channels: the whole channel waits, and the message keeps its attempts. */
export function isChannelWide(verdict: Verdict): boolean {
  return verdict.class === 'throttle' || (verdict.class === 'retry' && verdict.scope === 'channel');
}

/** Exponential backoff with full jitter in [d, 2d): d = base × 2^n, capped at maxDelayMs. */
export function backoffDelay(policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, retriesConsumed: number, random: () => number = Math.random): number {
  const base = Math.min(policy.baseDelayMs * 2 ** retriesConsumed, policy.maxDelayMs);
  return Math.min(Math.round(base * (1 + random())), policy.maxDelayMs);
}

/** Meta's pair-limit advice: wait 4^n × the verdict's wait (1 s), n = 0, 1, 2…, capped at maxDelayMs. */
export function pairLimitDelay(policy: Pick<RetryPolicy, 'maxDelayMs'>, verdict: Verdict, hits: number): number {
  return Math.min((verdict.waitMs ?? 1_000) * 4 ** hits, policy.maxDelayMs);
}

/** A message-level retry: the backoff, or longer when the API asked for a wait (capped). */
export function messageRetryDelay(policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, verdict: Verdict, retriesConsumed: number, random: () => number): number {
  return Math.max(Math.min(verdict.waitMs ?? 0, policy.maxDelayMs), backoffDelay(policy, retriesConsumed, random));
}

const STOP_CODES: ReadonlySet<string> = new Set(['131057', '4', '80007']);

/**
 * What a throttle verdict asks of the channel: `stop` (maintenance 131057, the app and WABA limits
 * 4 and 80007, or a wait the API named in `Retry-After`) stops it in every worker for the wait;
 * `slow` (130429, HTTP 429, 360dialog's endpoint rate limit) lowers the channel's adaptive rate:
 * Meta counts inbound messages against the same limit, so a sporadic one is normal traffic.
 */
export function throttleKind(verdict: Pick<Verdict, 'code' | 'retryAfter'>): 'stop' | 'slow' {
  if (verdict.retryAfter) return 'stop';
  return STOP_CODES.has(verdict.code) ? 'stop' : 'slow';
}

/** A throttle that lowers the channel's adaptive rate (and retries the message shortly) rather than stopping the channel. */
export function isSlowThrottle(verdict: Pick<Verdict, 'class' | 'code' | 'retryAfter'>): boolean {
  return verdict.class === 'throttle' && throttleKind(verdict) === 'slow';
}

/** The short wait before a message refused by a `slow` throttle goes back to the limiter: 100–300 ms. */
export function slowThrottleDelay(random: () => number = Math.random): number {
  return Math.round(100 + 200 * random());
}
