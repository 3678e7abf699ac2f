/**
 * The send loop for one batch: for each recipient, send it through the sending core (which waits
 * for the channel's limiter and claims the recipient in the ledger right before the first POST),
 * then commit the outcome with the counters. It depends only on the small ports below; the worker
 * wires in Redis, Bottleneck and 360dialog.
 */
import type { Logger } from 'pino';
import { encodeCallbackData } from '../dialog360/callback-data.ts';
import type { OutboundMessage, Route } from '../shared/outbound-message.ts';
import type { SendResult } from '../dialog360/send-message.ts';
import { campaignDeadline, type Campaign, type CampaignState } from '../shared/campaign.ts';
import type { BatchRecipient } from '../shared/campaign-store.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { placeholdersOf, renderComponents } from '../shared/template-components.ts';
import { routeFor } from '../shared/route-decision.ts';
import type { FrequencyCapPort } from './frequency-cap-store.ts';
import { CLICK_TOKEN_PLACEHOLDER, clickTokenFor } from '../shared/click-token.ts';

export type BatchPorts = {
  ledger: Pick<Ledger, 'entries' | 'claim' | 'release' | 'commit' | 'orphanToUnknown'>;
  /** Which of these phones opted out of the channel's marketing. */
  suppressed(channelId: string, phones: string[]): Promise<boolean[]>;
  /** Sends one message through the sending core (limiter, retries, fallback); `claim` runs right before the first POST. */
  send(message: OutboundMessage, route: Route, options: { signal: AbortSignal; deadline: number; claim: () => Promise<boolean> }): Promise<SendResult>;
  /** Pauses the campaign with a reason (a fatal verdict). */
  pause(campaignId: string, reason: string): Promise<void>;
  /** Remembers wamid → campaign/recipient for webhooks that do not echo the callback data. */
  recordWamid(wamid: string, campaignId: string, phone: string): Promise<void>;
  /** What an accepted answer told about the recipient: the identities Meta knows the phone by (for opt-outs keyed on them). */
  noteAccepted?(campaign: Campaign, phone: string, result: Pick<SendResult, 'contact'>): Promise<void>;
  now(): number;
  /** A unique claim token for one send. */
  newToken(): string;
  /** The channel's frequency cap; absent when the channel has none. */
  frequencyCap?: FrequencyCapPort;
  logger: Logger;
};

export type BatchOptions = {
  /** Messages of this batch in flight at once. */
  parallelism: number;
  /** Aborts when the campaign leaves a sending state or the worker shuts down. */
  signal: AbortSignal;
  /** The campaign's current state (after an abort: why). */
  campaignState(): CampaignState;
};

/**
 * - `done`: every recipient of the batch has an outcome.
 * - `parked`: the campaign was paused; the rest stays pending until resume re-enqueues the batch.
 * - `interrupted`: the worker is shutting down; the batch must run again elsewhere.
 */
export type BatchStatus = 'done' | 'parked' | 'interrupted';

/** Results after which nothing reached the recipient: their frequency-cap place is given back. */
const NOT_SENT: ReadonlySet<SendResult['status']> = new Set(['failed', 'expired', 'aborted', 'fatal']);

/** The recipient's fields plus the `{{click_token}}` litecast fills, when the template uses it. */
function withClickToken(campaign: Campaign, recipient: BatchRecipient, usesToken: boolean): Readonly<Record<string, string>> {
  if (!usesToken) return recipient.f;
  const fields = Object.assign(Object.create(null) as Record<string, string>, recipient.f);
  fields[CLICK_TOKEN_PLACEHOLDER] = clickTokenFor(campaign.id, recipient.p);
  return fields;
}

/** Runs `task` over `items` with at most `limit` at once, stopping new starts when `stop()` is true. */
async function forEachLimited<T>(items: readonly T[], limit: number, stop: () => boolean, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !stop()) {
      const item = items[next++] as T;
      await task(item);
    }
  });
  await Promise.all(lanes);
}

export async function processBatch(ports: BatchPorts, campaign: Campaign, recipients: readonly BatchRecipient[], options: BatchOptions): Promise<BatchStatus> {
  const { ledger, logger } = ports;
  const id = campaign.id;
  const deadline = campaignDeadline(campaign);
  const phones = recipients.map((r) => r.p);
  const entries = await ledger.entries(id, phones);

  // Recipients claimed but never committed: a worker died between claim and commit. They may have
  // been sent, so they become `unknown`, never re-sent (invariant 1).
  const open: BatchRecipient[] = [];
  for (const [i, recipient] of recipients.entries()) {
    const entry = entries[i];
    if (entry?.state === 'pending') open.push(recipient);
    else if (entry?.state === 'claimed') await ledger.orphanToUnknown(id, recipient.p, entry.token);
  }

  const suppressed = open.length > 0 ? await ports.suppressed(campaign.channelId, open.map((r) => r.p)) : [];
  const toSend: BatchRecipient[] = [];
  for (const [i, recipient] of open.entries()) {
    if (suppressed[i]) await ledger.commit(id, recipient.p, undefined, { outcome: 'suppressed' });
    else toSend.push(recipient);
  }

  const debug = logger.isLevelEnabled('debug');
  const usesClickToken = placeholdersOf(campaign.template.components).includes(CLICK_TOKEN_PLACEHOLDER);
  let fatalSeen = false;
  const stopped = () => options.signal.aborted || fatalSeen;

  await forEachLimited(toSend, options.parallelism, stopped, async (recipient) => {
    if (ports.now() >= deadline) {
      await ledger.commit(id, recipient.p, undefined, { outcome: 'expired' });
      return;
    }
    // Frequency cap (checked and logged atomically across campaigns); a send that does not happen gives its place back.
    if (ports.frequencyCap && !(await ports.frequencyCap.take(recipient.p, id))) {
      await ledger.commit(id, recipient.p, undefined, { outcome: 'capped' });
      return;
    }
    const token = ports.newToken();
    let claimed = false;
    const claim = async () => (claimed = await ledger.claim(id, recipient.p, token));
    let result: SendResult;
    try {
      const message: OutboundMessage = {
        to: recipient.p,
        template: { name: campaign.template.name, language: campaign.template.language, components: renderComponents(campaign.template.components, withClickToken(campaign, recipient, usesClickToken)) },
        callbackData: encodeCallbackData(id, recipient.p),
        ...(campaign.ttlSeconds !== undefined ? { ttlSeconds: campaign.ttlSeconds } : {}),
        ...(campaign.activitySharing !== undefined ? { activitySharing: campaign.activitySharing } : {}),
        ...(campaign.productPolicy !== undefined ? { productPolicy: campaign.productPolicy } : {}),
      };
      result = await ports.send(message, routeFor(campaign, recipient.p), { signal: options.signal, deadline, claim });
    } catch (error) {
      // Not an API outcome (a bug, or Redis gone while waiting for the limiter): nothing was
      // posted that we know of, so give the claim back and let the batch run again.
      if (claimed) await ledger.release(id, recipient.p, token);
      await ports.frequencyCap?.giveBack(recipient.p, id);
      throw error;
    }
    if (NOT_SENT.has(result.status)) await ports.frequencyCap?.giveBack(recipient.p, id);
    // Per message: build the log object only when someone reads it.
    if (debug) logger.debug({ campaign: id, to: recipient.p, status: result.status, route: result.route, attempts: result.attempts, code: result.verdict?.code }, 'send finished');
    switch (result.status) {
      case 'sent': {
        const wamid = result.wamid ?? '';
        await Promise.all([
          ledger.commit(id, recipient.p, token, {
            outcome: 'sent',
            route: result.route,
            wamid,
            fellBack: result.fellBack,
            ...(result.fallback ? { fallbackCode: result.fallback.code } : {}),
            acceptedAt: ports.now(),
            alsoCount: sideCounters(campaign, result),
          }),
          ports.recordWamid(wamid, id, recipient.p),
          ports.noteAccepted?.(campaign, recipient.p, result),
        ]);
        return;
      }
      case 'failed':
        await ledger.commit(id, recipient.p, token, { outcome: 'failed', code: result.verdict?.code ?? 'UNKNOWN', verdictClass: result.verdict?.class ?? 'retry' });
        return;
      case 'unknown':
        await ledger.commit(id, recipient.p, token, { outcome: 'unknown', code: result.verdict?.code ?? 'UNKNOWN' });
        return;
      case 'expired':
        if (claimed) await ledger.release(id, recipient.p, token);
        await ledger.commit(id, recipient.p, undefined, { outcome: 'expired' });
        return;
      case 'aborted':
        if (claimed) await ledger.release(id, recipient.p, token);
        return;
      case 'claimedElsewhere':
        // Another worker holds this recipient (a batch taken over while its first run lives on).
        return;
      case 'fatal': {
        if (claimed) await ledger.release(id, recipient.p, token);
        if (!fatalSeen) {
          fatalSeen = true;
          const reason = `${result.verdict?.code ?? 'FATAL'}: ${result.verdict?.reason ?? 'fatal error'}`;
          logger.warn({ campaign: id, code: result.verdict?.code, reason }, 'fatal verdict: pausing campaign');
          await ports.pause(id, reason);
        }
        return;
      }
    }
  });

  if (fatalSeen) return 'parked';
  if (!options.signal.aborted) return 'done';
  const state = options.campaignState();
  if (state === 'cancelled') {
    const left = await ledger.entries(id, phones);
    for (const [i, recipient] of recipients.entries()) {
      const entry = left[i];
      if (entry?.state === 'pending') await ledger.commit(id, recipient.p, undefined, { outcome: 'cancelled' });
      else if (entry?.state === 'claimed') await ledger.orphanToUnknown(id, recipient.p, entry.token);
    }
    return 'done';
  }
  if (state === 'paused') return 'parked';
  return 'interrupted';
}

/** `message_status` values of an accepted send that Meta holds back (template pacing): sent by us, not yet by Meta. */
const HELD_STATUSES: ReadonlySet<string> = new Set(['held_for_quality_assessment', 'paused']);

/**
 * The side counters an accepted send moves with its commit: `held` when Meta holds it back, and
 * `ttlDropped` when it fell back to `/messages`, which takes no per-message TTL, in a campaign
 * that has one.
 */
export function sideCounters(campaign: Pick<Campaign, 'ttlSeconds'>, result: Pick<SendResult, 'messageStatus' | 'fellBack'>): Array<'held' | 'ttlDropped'> {
  const counters: Array<'held' | 'ttlDropped'> = [];
  if (result.messageStatus !== undefined && HELD_STATUSES.has(result.messageStatus)) counters.push('held');
  if (result.fellBack && campaign.ttlSeconds !== undefined) counters.push('ttlDropped');
  return counters;
}
