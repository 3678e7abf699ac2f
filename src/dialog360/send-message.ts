/**
 * Sends one message the way design.md asks: MM Lite first (unless the campaign says cloud, or the
 * channel is remembered as not onboarded), transient errors retried with bounded exponential
 * backoff and jitter, throttles reported to the channel, and an eligibility refusal re-sent once
 * through the Cloud API. The result says where it went, how many POSTs it took, and why it stopped.
 */
import pRetry, { AbortError } from 'p-retry';
import { buildLitePayload, toCloudPayload } from './build-payload.ts';
import { classifySendError, type Verdict } from './classify-send-error.ts';
import type { DialogClient } from './client.ts';
import type { LiteEligibilityMemory } from './lite-eligibility-memory.ts';
import type { MessagePayload, OutboundMessage, Route } from './message.ts';

/** What the send path needs from the outside world; each is optional so unit tests pass only what they use. */
export type SendPorts = {
  client: Pick<DialogClient, 'send'>;
  /** Waits for the channel's rate limiter (and any cool-down) before every POST. */
  acquire?: (route: Route) => Promise<void>;
  /** Tells every worker to slow this channel down; when absent the send waits `waitMs` itself. */
  onThrottle?: (verdict: Verdict) => Promise<void> | void;
  liteMemory?: LiteEligibilityMemory;
  /**
   * Claims the recipient for sending, called once, right before the first POST (after the limiter
   * granted it), so a recipient is only ever claimed while its request is about to go out or out.
   * False: someone else holds it; the send stops as `claimedElsewhere`.
   */
  claim?: () => Promise<boolean>;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
};

export type SendPolicy = {
  /** POSTs per route for retryable errors, first try included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A response timeout may have been accepted: record `unknown` (safe) or retry (may send twice). */
  onAmbiguousTimeout: 'unknown' | 'retry';
  /** Epoch ms after which nothing may be posted (campaign start + TTL). */
  deadline?: number;
  /** Upper bound on the time spent retrying one route, throttles included. Default 10 minutes. */
  maxRetryTimeMs?: number;
  /** Aborts waiting (pause, cancel, shutdown); a message not yet posted comes back `aborted`. */
  signal?: AbortSignal;
};

export type SendStatus =
  /** Accepted by the API: `wamid` is set. */
  | 'sent'
  /** Permanent for this recipient, or still failing after the retries: `verdict` says why. */
  | 'failed'
  /** The campaign or channel must stop (bad key, template paused…): the message was not sent. */
  | 'fatal'
  /** A request may have been accepted but no answer came: never re-sent automatically. */
  | 'unknown'
  /** The deadline passed before the message could be posted. */
  | 'expired'
  /** The signal fired before the message was posted: it is still pending. */
  | 'aborted'
  /** The claim was refused: another worker has this recipient. Nothing was posted. */
  | 'claimedElsewhere';

export type SendResult = {
  status: SendStatus;
  /** The route of the last attempt (where it was sent, when sent). */
  route: Route;
  wamid?: string;
  messageStatus?: string;
  /** POSTs made, both routes together. */
  attempts: number;
  /** True when a lite message went (or was going) through `/messages` because MM Lite refused it. */
  fellBack: boolean;
  /** Why it fell back: the lite refusal, possibly remembered from an earlier message. */
  fallback?: { code: string; reason: string; remembered: boolean };
  /** The last error's verdict, for every status but `sent`. */
  verdict?: Verdict;
};

type RouteResult = { status: SendStatus | 'fallback'; attempts: number; wamid?: string; messageStatus?: string; verdict?: Verdict };

class AttemptFailed extends Error {
  override readonly name = 'AttemptFailed';
  constructor(
    readonly verdict: Verdict,
    readonly final: SendStatus | 'fallback' | undefined,
  ) {
    super(`${verdict.class} ${verdict.code}: ${verdict.reason}`);
  }
}

const DEFAULT_MAX_RETRY_TIME_MS = 10 * 60_000;

/** Waits `ms`, resolving early (without error) when the signal fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Whether the recipient has been claimed yet, shared by both routes of one send. */
type ClaimState = { claimed: boolean };

async function sendOnRoute(ports: SendPorts, policy: SendPolicy, route: Route, payload: MessagePayload, claim: ClaimState): Promise<RouteResult> {
  const now = ports.now ?? Date.now;
  const sleep = ports.sleep ?? abortableSleep;
  const random = ports.random ?? Math.random;
  let attempts = 0;
  let pairLimitHits = 0;
  let channelBackoffs = 0;
  const stop = (status: SendStatus | 'fallback', verdict?: Verdict) => new AbortError(new AttemptFailed(verdict ?? { class: 'retry', code: status, reason: status }, status));
  const pastDeadline = () => policy.deadline !== undefined && now() >= policy.deadline;

  try {
    return await pRetry(
      async () => {
        if (policy.signal?.aborted) throw stop('aborted');
        if (pastDeadline()) throw stop('expired');
        await ports.acquire?.(route);
        if (policy.signal?.aborted) throw stop('aborted');
        if (pastDeadline()) throw stop('expired');
        if (!claim.claimed && ports.claim) {
          if (!(await ports.claim())) throw stop('claimedElsewhere');
          claim.claimed = true;
        }
        attempts += 1;
        const response = await ports.client.send(route, payload);
        if (response.kind === 'accepted') {
          const sent: RouteResult = { status: 'sent', attempts, wamid: response.wamid };
          if (response.messageStatus !== undefined) sent.messageStatus = response.messageStatus;
          return sent;
        }
        const verdict = classifySendError(response, route);
        if (verdict.class === 'fallback') throw stop('fallback', verdict);
        if (verdict.class === 'recipient') throw stop('failed', verdict);
        if (verdict.class === 'fatal') throw stop('fatal', verdict);
        if (verdict.ambiguous && policy.onAmbiguousTimeout === 'unknown') throw stop('unknown', verdict);
        throw new AttemptFailed(verdict, undefined);
      },
      {
        retries: Math.max(0, policy.maxAttempts - 1),
        // The waits happen in onFailedAttempt, where they can be cut short by the signal. (p-retry's
        // own `signal` option is not used: it discards an attempt that succeeded while the signal
        // fired, and a send that was accepted must never be reported as not sent.)
        minTimeout: 0,
        maxTimeout: 0,
        maxRetryTime: policy.maxRetryTimeMs ?? DEFAULT_MAX_RETRY_TIME_MS,
        // A throttle is the channel's state, not this message's fault: it must not use up the
        // message's attempts (maxRetryTime still bounds it).
        shouldConsumeRetry: ({ error }) => !(error instanceof AttemptFailed && isChannelWide(error.verdict)),
        onFailedAttempt: async ({ error, retriesConsumed, retriesLeft }) => {
          if (!(error instanceof AttemptFailed)) return;
          // Unreachable: back off the whole channel, doubling while the outage lasts.
          const verdict =
            error.verdict.class === 'retry' && error.verdict.scope === 'channel' ? { ...error.verdict, waitMs: backoffDelay(policy, channelBackoffs++, random) } : error.verdict;
          // The channel cools down even when this message has no attempt left.
          if (isChannelWide(verdict) && ports.onThrottle) await ports.onThrottle(verdict);
          if (retriesLeft === 0) return;
          if (isChannelWide(verdict)) {
            if (!ports.onThrottle) await sleep(verdict.waitMs ?? policy.baseDelayMs, policy.signal);
          } else if (verdict.scope === 'recipient') {
            // Meta's pair-limit advice: wait 4^n seconds, n = 0, 1, 2…
            await sleep(Math.min((verdict.waitMs ?? 1_000) * 4 ** pairLimitHits++, policy.maxDelayMs), policy.signal);
          } else {
            await sleep(Math.max(Math.min(verdict.waitMs ?? 0, policy.maxDelayMs), backoffDelay(policy, retriesConsumed, random)), policy.signal);
          }
          // Nothing was accepted by the failed attempt, so stopping here is safe.
          if (policy.signal?.aborted) throw new AttemptFailed(verdict, 'aborted');
        },
      },
    );
  } catch (error) {
    if (error instanceof AbortError) error = error.originalError;
    if (error instanceof AttemptFailed) {
      // `final` unset: retries ran out on a retryable error.
      return { status: error.final ?? 'failed', attempts, verdict: error.verdict };
    }
    throw error;
  }
}

/** Throttles and unreachable channels: the whole channel waits, and the message keeps its attempts. */
function isChannelWide(verdict: Verdict): boolean {
  return verdict.class === 'throttle' || (verdict.class === 'retry' && verdict.scope === 'channel');
}

/** Exponential backoff with full jitter in [d, 2d): d = base × 2^n, capped at maxDelayMs. */
export function backoffDelay(policy: Pick<SendPolicy, 'baseDelayMs' | 'maxDelayMs'>, retriesConsumed: number, random: () => number = Math.random): number {
  const base = Math.min(policy.baseDelayMs * 2 ** retriesConsumed, policy.maxDelayMs);
  return Math.min(Math.round(base * (1 + random())), policy.maxDelayMs);
}

/**
 * Sends `message`, preferring `route`. Never throws for an API or network outcome; throws only for
 * a programming error (e.g. a TTL outside the marketing range, which intake rejects first).
 */
export async function sendMessage(ports: SendPorts, policy: SendPolicy, message: OutboundMessage, route: Route): Promise<SendResult> {
  const lite = buildLitePayload(message);
  const claim: ClaimState = { claimed: false };
  let fallback: SendResult['fallback'];

  if (route === 'lite') {
    const remembered = await ports.liteMemory?.refusal(message.template.name);
    if (remembered) {
      fallback = { ...remembered, remembered: true };
    } else {
      const first = await sendOnRoute(ports, policy, 'lite', lite, claim);
      if (first.status !== 'fallback') return toResult('lite', first, false);
      const verdict = first.verdict as Verdict;
      fallback = { code: verdict.code, reason: verdict.reason, remembered: false };
      if (verdict.scope === 'channel' || verdict.scope === 'template') {
        await ports.liteMemory?.remember(verdict.scope === 'channel' ? undefined : message.template.name, { code: verdict.code, reason: verdict.reason });
      }
      const second = await sendOnRoute(ports, policy, 'cloud', toCloudPayload(lite), claim);
      return { ...toResult('cloud', second, true, fallback), attempts: first.attempts + second.attempts };
    }
  }
  return toResult('cloud', await sendOnRoute(ports, policy, 'cloud', toCloudPayload(lite), claim), fallback !== undefined, fallback);
}

function toResult(route: Route, outcome: RouteResult, fellBack: boolean, fallback?: SendResult['fallback']): SendResult {
  // On the cloud route the classifier never answers `fallback`; keep the type honest anyway.
  const status: SendStatus = outcome.status === 'fallback' ? 'fatal' : outcome.status;
  const result: SendResult = { status, route, attempts: outcome.attempts, fellBack };
  if (fallback) result.fallback = fallback;
  if (outcome.wamid !== undefined) result.wamid = outcome.wamid;
  if (outcome.messageStatus !== undefined) result.messageStatus = outcome.messageStatus;
  if (outcome.verdict !== undefined && status !== 'sent') result.verdict = outcome.verdict;
  return result;
}
