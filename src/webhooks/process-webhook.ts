/**
 * Applies one received webhook body: every status to its campaign and recipient, clicks to their
 * channel (Meta names no recipient), opt-outs from every signal (user_preferences, a "Stop
 * promotions" button tap, a 131050 failure, an inbound STOP) to the channel's suppression list, a
 * template Meta paused or disabled to the campaigns using it, and whatever matches nothing to the
 * unmatched list.
 * Idempotent, so a job retried after a partial failure counts nothing twice.
 */
import { decodeCallbackData } from '../dialog360/callback-data.ts';
import { isStopButton, isStopKeyword, parseWebhook, type WebhookEvent } from './parse-webhook.ts';
import { webhookMetricLabel } from './webhook-metric-label.ts';
import type { DeliveryKind, WebhookStore } from './webhook-store.ts';

export type WebhookJob = {
  /** The raw JSON body as received. */
  body: string;
  /** Channel named in the webhook URL (`/webhooks/360dialog/<channel>`), when there was one. */
  channelId?: string;
  receivedAt: number;
};

export type ProcessOutcome = { applied: number; duplicates: number; unmatched: number; notYet: number; byKind: Record<string, number> };

const DELIVERY_KINDS: ReadonlySet<string> = new Set(['sent', 'delivered', 'read', 'failed']);
/** A failed status with this code: the user had already stopped marketing messages. */
const OPTED_OUT_CODE = '131050';
/** Template statuses that stop its sends: the campaigns using it pause, with Meta's reason. */
const TEMPLATE_STOPPED: ReadonlySet<string> = new Set(['PAUSED', 'DISABLED']);

/** Resolves the channel an opt-out belongs to: the URL's channel, or one whose phone number id matches. */
export type ChannelResolver = (phoneNumberId: string | undefined) => Promise<string | undefined>;

/** Told of a throttle signal in a webhook's `value.errors` (130429): the channel's adaptive rate lowers. */
export type ThrottleSignal = (channelId: string, code: string) => Promise<void>;

/** Error codes in `value.errors` that mean the number is over its throughput. */
const THROTTLE_SIGNAL_CODES: ReadonlySet<string> = new Set(['130429']);

/** A delivery status of a body, with the body it came in. */
type StatusOfBody = { body: number; event: Extract<WebhookEvent, { kind: 'status' }>; kind: DeliveryKind };

const emptyOutcome = (): ProcessOutcome => ({ applied: 0, duplicates: 0, unmatched: 0, notYet: 0, byKind: {} });

/** Applies one body (processWebhooks with one job). */
export async function processWebhook(store: WebhookStore, job: WebhookJob, resolveChannel: ChannelResolver, onThrottleSignal?: ThrottleSignal): Promise<ProcessOutcome> {
  const [result] = await processWebhooks(store, [job], resolveChannel, onThrottleSignal);
  if (!result || 'error' in result) throw result?.error ?? new Error('webhook body not applied');
  return result;
}

/**
 * Applies several bodies at once. Their delivery statuses go to the store together, one call per
 * campaign (one ledger read and one script for all of them, in the bodies' order); everything else
 * (clicks, opt-outs, template events, errors) is applied event by event. One result per body: its
 * outcome, or the error that kept it from being applied (it is then retried whole; applying twice
 * counts nothing twice).
 */
export async function processWebhooks(store: WebhookStore, jobs: readonly WebhookJob[], resolveChannel: ChannelResolver, onThrottleSignal?: ThrottleSignal): Promise<Array<ProcessOutcome | { error: unknown }>> {
  const outcomes = jobs.map(emptyOutcome);
  const errors: unknown[] = jobs.map(() => undefined);
  const fail = (body: number) => (error: unknown) => {
    errors[body] ??= error;
  };
  const statuses: StatusOfBody[] = [];
  const others: Array<Promise<void>> = [];
  jobs.forEach((job, body) => {
    const outcome = outcomes[body] as ProcessOutcome;
    let parsed: unknown;
    try {
      parsed = JSON.parse(job.body);
    } catch {
      // The API refuses bodies that are not JSON; anything else that slips through is kept, not applied.
      others.push(store.keepUnmatched(job.body.slice(0, 2_000), 'invalid-json').catch(fail(body)));
      outcome.unmatched += 1;
      return;
    }
    for (const event of parseWebhook(parsed)) {
      const kindKey = webhookMetricLabel(event);
      outcome.byKind[kindKey] = (outcome.byKind[kindKey] ?? 0) + 1;
      if (event.kind === 'status') {
        if (DELIVERY_KINDS.has(event.status)) statuses.push({ body, event, kind: event.status as DeliveryKind });
      } else {
        others.push(applyOther(store, job, event, outcome, resolveChannel, onThrottleSignal).catch(fail(body)));
      }
    }
  });
  await Promise.all([applyStatuses(store, jobs, statuses, outcomes, fail), ...others]);
  return outcomes.map((outcome, body) => (errors[body] !== undefined ? { error: errors[body] } : outcome));
}

/**
 * The delivery statuses of a batch of bodies: matched to their campaigns, applied one call per
 * campaign. Never rejects: a failure is charged with `fail` to the bodies it concerns only (a
 * campaign's call to that campaign's bodies, a follow-up to its own body), which are then retried.
 */
async function applyStatuses(store: WebhookStore, jobs: readonly WebhookJob[], statuses: readonly StatusOfBody[], outcomes: ProcessOutcome[], fail: (body: number) => (error: unknown) => void): Promise<void> {
  if (statuses.length === 0) return;
  const followUps: Array<Promise<void>> = [];
  const followUp = (body: number, work: Promise<unknown>) => followUps.push(work.then(() => undefined, fail(body)));
  const targets = await Promise.all(
    statuses.map(async ({ event, body }) => {
      try {
        return decodeCallbackData(event.callbackData) ?? (await store.lookupWamid(event.wamid));
      } catch (error) {
        fail(body)(error);
        return null;
      }
    }),
  );
  const byCampaign = new Map<string, number[]>();
  statuses.forEach((status, i) => {
    const target = targets[i];
    if (target === null) return; // its lookup failed: the body is retried
    if (target) {
      const list = byCampaign.get(target.campaignId) ?? [];
      list.push(i);
      byCampaign.set(target.campaignId, list);
      return;
    }
    followUp(status.body, store.keepUnmatched(status.event, 'no-campaign'));
    (outcomes[status.body] as ProcessOutcome).unmatched += 1;
  });
  await Promise.all(
    [...byCampaign].map(async ([campaignId, members]) => {
      let results: Awaited<ReturnType<WebhookStore['applyMany']>>;
      try {
        results = await store.applyMany(
          campaignId,
          members.map((i) => {
            const { event, kind, body } = statuses[i] as StatusOfBody;
            return {
              phone: (targets[i] as { phone: string }).phone,
              kind,
              receivedAt: (jobs[body] as WebhookJob).receivedAt,
              wamid: event.wamid,
              ...(event.pricingCategory ? { category: event.pricingCategory } : {}),
              ...(event.errorCode ? { errorCode: event.errorCode } : {}),
            };
          }),
        );
      } catch (error) {
        for (const i of members) fail((statuses[i] as StatusOfBody).body)(error);
        return;
      }
      members.forEach((i, k) => {
        const { event, kind, body } = statuses[i] as StatusOfBody;
        const outcome = outcomes[body] as ProcessOutcome;
        const result = results[k];
        if (result === 'OK') outcome.applied += 1;
        else if (result === 'DUP') outcome.duplicates += 1;
        else if (result === 'NOT_YET') outcome.notYet += 1;
        else {
          followUp(body, store.keepUnmatched(event, 'no-send'));
          outcome.unmatched += 1;
        }
        // 131050: the user had stopped marketing messages; an opt-out like any other.
        if (kind === 'failed' && event.errorCode === OPTED_OUT_CODE && result !== 'NOT_YET') {
          const phone = (targets[i] as { phone: string }).phone;
          followUp(body, store.channelOf(campaignId).then((channelId) => (channelId ? store.suppress(channelId, phone, true) : undefined)));
        }
      });
    }),
  );
  await Promise.all(followUps);
}

/** Everything but a delivery status: clicks, opt-outs, template events, errors. */
async function applyOther(store: WebhookStore, job: WebhookJob, event: Exclude<WebhookEvent, { kind: 'status' }>, outcome: ProcessOutcome, resolveChannel: ChannelResolver, onThrottleSignal?: ThrottleSignal): Promise<void> {
  const channelFor = async (e: { phoneNumberId?: string }) => job.channelId ?? (await resolveChannel(e.phoneNumberId));
  switch (event.kind) {
    case 'click': {
      // Meta's click names no recipient: counted on the channel, attributed to campaigns as an estimate.
      const channelId = await channelFor(event);
      if (!channelId) {
        await store.keepUnmatched(event, 'no-channel');
        outcome.unmatched += 1;
        return;
      }
      const counted = await store.countClick(channelId, { timestampMs: event.timestampMs, receivedAt: job.receivedAt, ...(event.clickId ? { clickId: event.clickId } : {}), ...(event.trackingToken ? { trackingToken: event.trackingToken } : {}) });
      if (counted) outcome.applied += 1;
      else outcome.duplicates += 1;
      return;
    }
    case 'preference':
    case 'inbound':
    case 'button': {
      const stop = event.kind === 'preference' ? event.value === 'stop' : event.kind === 'button' ? isStopButton(event.payload, event.text) : isStopKeyword(event.text);
      const resume = event.kind === 'preference' && event.value === 'resume';
      if (!stop && !resume) return;
      if (event.kind === 'preference' && event.category !== '' && event.category !== 'marketing_messages') return;
      // A button tap names the template message it belongs to: that send knows the phone.
      const tapped = event.kind === 'button' && event.contextWamid ? await store.lookupWamid(event.contextWamid) : undefined;
      const channelId = (await channelFor(event)) ?? (tapped ? await store.channelOf(tapped.campaignId) : undefined);
      if (!channelId) {
        await store.keepUnmatched(event, 'no-channel');
        outcome.unmatched += 1;
        return;
      }
      await store.suppress(channelId, event.recipient, stop);
      if (event.userId && event.userId !== event.recipient) await store.suppress(channelId, event.userId, stop);
      if (tapped) await store.suppress(channelId, tapped.phone, stop);
      outcome.applied += 1;
      return;
    }
    case 'template-status': {
      if (!TEMPLATE_STOPPED.has(event.event)) return;
      const reason = `template ${event.templateName}${event.language ? ` (${event.language})` : ''} ${event.event} by Meta${event.reason ? `: ${event.reason}` : ''}`;
      const paused = await store.pauseTemplateUsers(job.channelId, { name: event.templateName, ...(event.language ? { language: event.language } : {}) }, reason);
      outcome.applied += paused.length;
      return;
    }
    case 'error': {
      if (!onThrottleSignal || !THROTTLE_SIGNAL_CODES.has(event.code)) return;
      const channelId = await channelFor(event);
      if (channelId) await onThrottleSignal(channelId, event.code);
      return;
    }
    case 'other':
      return;
  }
}
