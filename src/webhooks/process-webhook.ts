/**
 * Applies one received webhook body: every status to its campaign and recipient, clicks to their
 * channel (Meta names no recipient), opt-outs from every signal (user_preferences, a "Stop
 * promotions" button tap, a 131050 failure, an inbound STOP) to the channel's suppression list, a
 * template Meta paused or disabled to the campaigns using it, and whatever matches nothing to the
 * unmatched list.
 * Idempotent, so a job retried after a partial failure counts nothing twice.
 */
import { decodeCallbackData } from '../dialog360/callback-data.ts';
import { isStopButton, isStopKeyword, parseWebhook } from './parse-webhook.ts';
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

export async function processWebhook(store: WebhookStore, job: WebhookJob, resolveChannel: ChannelResolver, onThrottleSignal?: ThrottleSignal): Promise<ProcessOutcome> {
  const outcome: ProcessOutcome = { applied: 0, duplicates: 0, unmatched: 0, notYet: 0, byKind: {} };
  let body: unknown;
  try {
    body = JSON.parse(job.body);
  } catch {
    // The API refuses bodies that are not JSON; anything else that slips through is kept, not applied.
    await store.keepUnmatched(job.body.slice(0, 2_000), 'invalid-json');
    outcome.unmatched += 1;
    return outcome;
  }
  const channelFor = async (event: { phoneNumberId?: string }) => job.channelId ?? (await resolveChannel(event.phoneNumberId));

  for (const event of parseWebhook(body)) {
    const kindKey = webhookMetricLabel(event);
    outcome.byKind[kindKey] = (outcome.byKind[kindKey] ?? 0) + 1;
    switch (event.kind) {
      case 'status': {
        const kind: DeliveryKind | undefined = DELIVERY_KINDS.has(event.status) ? (event.status as DeliveryKind) : undefined;
        if (!kind) break;
        const target = decodeCallbackData(event.callbackData) ?? (await store.lookupWamid(event.wamid));
        if (!target) {
          await store.keepUnmatched(event, 'no-campaign');
          outcome.unmatched += 1;
          break;
        }
        const result = await store.apply(target.campaignId, target.phone, kind, {
          receivedAt: job.receivedAt,
          wamid: event.wamid,
          ...(event.pricingCategory ? { category: event.pricingCategory } : {}),
          ...(event.errorCode ? { errorCode: event.errorCode } : {}),
        });
        if (result === 'OK') outcome.applied += 1;
        else if (result === 'DUP') outcome.duplicates += 1;
        else if (result === 'NOT_YET') outcome.notYet += 1;
        else {
          await store.keepUnmatched(event, 'no-send');
          outcome.unmatched += 1;
        }
        // 131050: the user had stopped marketing messages; an opt-out like any other.
        if (kind === 'failed' && event.errorCode === OPTED_OUT_CODE && result !== 'NOT_YET') {
          const channelId = await store.channelOf(target.campaignId);
          if (channelId) await store.suppress(channelId, target.phone, true);
        }
        break;
      }
      case 'click': {
        // Meta's click names no recipient: counted on the channel, attributed to campaigns as an estimate.
        const channelId = await channelFor(event);
        if (!channelId) {
          await store.keepUnmatched(event, 'no-channel');
          outcome.unmatched += 1;
          break;
        }
        const counted = await store.countClick(channelId, { timestampMs: event.timestampMs, receivedAt: job.receivedAt, ...(event.clickId ? { clickId: event.clickId } : {}), ...(event.trackingToken ? { trackingToken: event.trackingToken } : {}) });
        if (counted) outcome.applied += 1;
        else outcome.duplicates += 1;
        break;
      }
      case 'preference':
      case 'inbound':
      case 'button': {
        const stop = event.kind === 'preference' ? event.value === 'stop' : event.kind === 'button' ? isStopButton(event.payload, event.text) : isStopKeyword(event.text);
        const resume = event.kind === 'preference' && event.value === 'resume';
        if (!stop && !resume) break;
        if (event.kind === 'preference' && event.category !== '' && event.category !== 'marketing_messages') break;
        // A button tap names the template message it belongs to: that send knows the phone.
        const tapped = event.kind === 'button' && event.contextWamid ? await store.lookupWamid(event.contextWamid) : undefined;
        const channelId = (await channelFor(event)) ?? (tapped ? await store.channelOf(tapped.campaignId) : undefined);
        if (!channelId) {
          await store.keepUnmatched(event, 'no-channel');
          outcome.unmatched += 1;
          break;
        }
        await store.suppress(channelId, event.recipient, stop);
        if (event.userId && event.userId !== event.recipient) await store.suppress(channelId, event.userId, stop);
        if (tapped) await store.suppress(channelId, tapped.phone, stop);
        outcome.applied += 1;
        break;
      }
      case 'template-status': {
        if (!TEMPLATE_STOPPED.has(event.event)) break;
        const reason = `template ${event.templateName}${event.language ? ` (${event.language})` : ''} ${event.event} by Meta${event.reason ? `: ${event.reason}` : ''}`;
        const paused = await store.pauseTemplateUsers(job.channelId, { name: event.templateName, ...(event.language ? { language: event.language } : {}) }, reason);
        outcome.applied += paused.length;
        break;
      }
      case 'error': {
        if (!onThrottleSignal || !THROTTLE_SIGNAL_CODES.has(event.code)) break;
        const channelId = await channelFor(event);
        if (channelId) await onThrottleSignal(channelId, event.code);
        break;
      }
      case 'other':
        break;
    }
  }
  return outcome;
}
