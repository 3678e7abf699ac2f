/**
 * Applies one received webhook body: every status and click to its campaign and recipient,
 * opt-outs to the channel's suppression list, and whatever matches nothing to the unmatched list.
 * Idempotent, so a job retried after a partial failure counts nothing twice.
 */
import { decodeCallbackData } from '../dialog360/callback-data.ts';
import { isStopKeyword, parseWebhook, type WebhookEvent } from './parse-webhook.ts';
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

/** Resolves the channel an opt-out belongs to: the URL's channel, or one whose phone number id matches. */
export type ChannelResolver = (phoneNumberId: string | undefined) => Promise<string | undefined>;

export async function processWebhook(store: WebhookStore, job: WebhookJob, resolveChannel: ChannelResolver): Promise<ProcessOutcome> {
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
      case 'status':
      case 'click': {
        const kind: DeliveryKind | undefined = event.kind === 'click' ? 'click' : DELIVERY_KINDS.has(event.status) ? (event.status as DeliveryKind) : undefined;
        if (!kind) break;
        const target = decodeCallbackData(event.callbackData) ?? (event.wamid ? await store.lookupWamid(event.wamid) : undefined);
        if (!target) {
          await store.keepUnmatched(event, 'no-campaign');
          outcome.unmatched += 1;
          break;
        }
        const result = await store.apply(target.campaignId, target.phone, kind, {
          receivedAt: job.receivedAt,
          ...(event.kind === 'status' && event.category ? { category: event.category } : {}),
          ...(event.kind === 'status' && event.errorCode ? { errorCode: event.errorCode } : {}),
          ...(event.wamid ? { wamid: event.wamid } : {}),
        });
        if (result === 'OK') outcome.applied += 1;
        else if (result === 'DUP') outcome.duplicates += 1;
        else if (result === 'NOT_YET') outcome.notYet += 1;
        else {
          await store.keepUnmatched(event, 'no-send');
          outcome.unmatched += 1;
        }
        break;
      }
      case 'preference':
      case 'inbound': {
        const stop = event.kind === 'preference' ? event.value === 'stop' : isStopKeyword(event.text);
        const resume = event.kind === 'preference' && event.value === 'resume';
        if (!stop && !resume) break;
        if (event.kind === 'preference' && event.category !== '' && event.category !== 'marketing_messages') break;
        const channelId = await channelFor(event);
        if (!channelId) {
          await store.keepUnmatched(event, 'no-channel');
          outcome.unmatched += 1;
          break;
        }
        await store.suppress(channelId, event.recipient, stop);
        outcome.applied += 1;
        break;
      }
      case 'other':
        break;
    }
  }
  return outcome;
}

export type { WebhookEvent };
