/**
 * Sends one message the way design.md asks, carrying out the route decision
 * (shared/route-decision.ts) and the retry policy (retry-policy.ts): MM Lite first (unless the
 * campaign says cloud, or MM Lite refused the channel or template recently), transient errors
 * retried with bounded exponential backoff and jitter, throttles reported to the channel, and an
 * eligibility refusal re-sent once through the Cloud API. The result says where it went, how many
 * POSTs it took, and why it stopped.
 */
import { abortableSleep } from '../shared/abortable-sleep.ts';
import type { OutboundMessage, Route } from '../shared/outbound-message.ts';
import { planFallback, startingRoute, type Fallback, type LiteEligibilityMemory } from '../shared/route-decision.ts';
import { buildLitePayload, toCloudPayload } from './build-payload.ts';
import { classifySendError, type Verdict } from './classify-send-error.ts';
import type { DialogClient } from './client.ts';
import type { MessagePayload } from './message-payload.ts';
import type { SendContact } from './parse-response.ts';
import { backoffDelay, endFor, isChannelWide, isSlowThrottle, messageRetryDelay, pairLimitDelay, slowThrottleDelay, type RetryPolicy } from './retry-policy.ts';

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

export type SendPolicy = RetryPolicy & {
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
  /** Who Meta said the message went to (`contacts[0]`): its wa_id or user_id may differ from the input. */
  contact?: SendContact;
  /** POSTs made, both routes together. */
  attempts: number;
  /** True when a lite message went (or was going) through `/messages` because MM Lite refused it. */
  fellBack: boolean;
  /** Why it fell back: the lite refusal, possibly remembered from an earlier message. */
  fallback?: Fallback;
  /** The last error's verdict, for every status but `sent`. */
  verdict?: Verdict;
};

type RouteResult = { status: SendStatus | 'fallback'; attempts: number; wamid?: string; messageStatus?: string; contact?: SendContact; verdict?: Verdict };

const DEFAULT_MAX_RETRY_TIME_MS = 10 * 60_000;

/** Whether the recipient has been claimed yet, shared by both routes of one send. */
type ClaimState = { claimed: boolean };

/**
 * POSTs `payload` on one route until it is accepted or the retry policy says stop. Waits are our
 * own and abortable, and the signal is only looked at before a POST or after a wait: a request
 * already posted always gets its answer, so an accepted message is never reported as not sent.
 */
async function sendOnRoute(ports: SendPorts, policy: SendPolicy, route: Route, payload: MessagePayload, claim: ClaimState): Promise<RouteResult> {
  const now = ports.now ?? Date.now;
  const sleep = ports.sleep ?? abortableSleep;
  const random = ports.random ?? Math.random;
  const retryUntil = now() + (policy.maxRetryTimeMs ?? DEFAULT_MAX_RETRY_TIME_MS);
  const retries = Math.max(0, policy.maxAttempts - 1);
  let attempts = 0;
  // Only message-level failures use up retries: a throttle is the channel's state, not this
  // message's fault (the retry time still bounds it).
  let retriesConsumed = 0;
  let pairLimitHits = 0;
  let channelBackoffs = 0;

  const notPosted = (status: SendStatus): RouteResult => ({ status, attempts, verdict: { class: 'retry', code: status, reason: status } });
  const cannotPost = (): SendStatus | undefined => {
    if (policy.signal?.aborted) return 'aborted';
    if (policy.deadline !== undefined && now() >= policy.deadline) return 'expired';
    return undefined;
  };

  for (;;) {
    const before = cannotPost();
    if (before) return notPosted(before);
    await ports.acquire?.(route);
    const afterWait = cannotPost();
    if (afterWait) return notPosted(afterWait);
    if (!claim.claimed && ports.claim) {
      if (!(await ports.claim())) return notPosted('claimedElsewhere');
      claim.claimed = true;
    }

    attempts += 1;
    const response = await ports.client.send(route, payload);
    if (response.kind === 'accepted') {
      const sent: RouteResult = { status: 'sent', attempts, wamid: response.wamid };
      if (response.messageStatus !== undefined) sent.messageStatus = response.messageStatus;
      if (response.contact !== undefined) sent.contact = response.contact;
      return sent;
    }
    const verdict = classifySendError(response, route);
    const end = endFor(verdict, policy);
    if (end) return { status: end, attempts, verdict };

    const channelWide = isChannelWide(verdict);
    // Unreachable: back off the whole channel, doubling while the outage lasts.
    const waitVerdict = verdict.class === 'retry' && verdict.scope === 'channel' ? { ...verdict, waitMs: backoffDelay(policy, channelBackoffs++, random) } : verdict;
    // The channel cools down even when this message has no attempt left.
    if (channelWide && ports.onThrottle) await ports.onThrottle(waitVerdict);
    if (retriesConsumed >= retries) return { status: 'failed', attempts, verdict };

    if (!channelWide) await sleep(verdict.scope === 'recipient' ? pairLimitDelay(policy, verdict, pairLimitHits++) : messageRetryDelay(policy, verdict, retriesConsumed, random), policy.signal);
    // With onThrottle the limiter holds the next acquire for the cool-down; without, wait here.
    else if (!ports.onThrottle) await sleep(waitVerdict.waitMs ?? policy.baseDelayMs, policy.signal);
    // A `slow` throttle lowered the channel's rate instead of stopping it: this message waits a
    // moment, so it does not take the very next slot of a channel that is just over its limit.
    else if (isSlowThrottle(verdict)) await sleep(slowThrottleDelay(random), policy.signal);
    // Nothing was accepted by the failed attempt, so stopping here is safe.
    if (policy.signal?.aborted) return { status: 'aborted', attempts, verdict: waitVerdict };
    if (now() >= retryUntil) return { status: 'failed', attempts, verdict };
    if (!channelWide) retriesConsumed += 1;
  }
}

/**
 * Sends `message`, preferring `route`. Never throws for an API or network outcome; throws only for
 * a programming error (e.g. a TTL outside the marketing range, which intake rejects first) or a
 * port that failed (Redis gone while waiting for the limiter).
 */
export async function sendMessage(ports: SendPorts, policy: SendPolicy, message: OutboundMessage, route: Route): Promise<SendResult> {
  const lite = buildLitePayload(message);
  const claim: ClaimState = { claimed: false };
  const remembered = route === 'lite' ? await ports.liteMemory?.refusal(message.template.name) : undefined;
  const start = startingRoute(route, remembered);
  if (start.route === 'cloud') return toResult('cloud', await sendOnRoute(ports, policy, 'cloud', toCloudPayload(lite), claim), start.fallback);

  const first = await sendOnRoute(ports, policy, 'lite', lite, claim);
  if (first.status !== 'fallback') return toResult('lite', first);
  const refusal = first.verdict as Verdict;
  const plan = planFallback(refusal);
  if (plan.remember) await ports.liteMemory?.remember(plan.remember === 'channel' ? undefined : message.template.name, { code: refusal.code, reason: refusal.reason });
  const second = await sendOnRoute(ports, policy, plan.route, toCloudPayload(lite), claim);
  return { ...toResult(plan.route, second, plan.fallback), attempts: first.attempts + second.attempts };
}

function toResult(route: Route, outcome: RouteResult, fallback?: Fallback): SendResult {
  // On the cloud route the classifier never answers `fallback`; keep the type honest anyway.
  const status: SendStatus = outcome.status === 'fallback' ? 'fatal' : outcome.status;
  const result: SendResult = { status, route, attempts: outcome.attempts, fellBack: fallback !== undefined };
  if (fallback) result.fallback = fallback;
  if (outcome.wamid !== undefined) result.wamid = outcome.wamid;
  if (outcome.messageStatus !== undefined) result.messageStatus = outcome.messageStatus;
  if (outcome.contact !== undefined) result.contact = outcome.contact;
  if (outcome.verdict !== undefined && status !== 'sent') result.verdict = outcome.verdict;
  return result;
}
