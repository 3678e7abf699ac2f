/**
 * The route decision: which endpoint a recipient's message goes to, and what happens when MM Lite
 * refuses it. Pure; dialog360/send-message.ts carries the plan out.
 *
 * 1. The campaign's route: `lite`, `cloud`, or `split`, where a stable share of recipients (the
 *    holdout) goes through the Cloud API so the two can be compared on the same template and
 *    audience.
 * 2. Remembered refusals: once MM Lite refused a channel (not onboarded) or a template, later
 *    lite messages go straight to the Cloud API until the memory expires and the next message
 *    probes MM Lite again.
 * 3. The fallback rule: a lite message MM Lite refuses for eligibility is re-sent once through the
 *    Cloud API; a refusal of the channel or the template is remembered, one of the message alone
 *    is not.
 */
import { createHash } from 'node:crypto';
import type { Campaign } from './campaign.ts';
import type { Route } from './outbound-message.ts';

/** True when this recipient belongs to the Cloud API holdout (`cloudShare` in percent, 0–100). */
export function inCloudHoldout(campaignId: string, phone: string, cloudShare: number): boolean {
  // A hash of campaign and phone: the same recipient lands in the same group on every run,
  // retry or resume.
  const digest = createHash('sha256').update(`${campaignId}:${phone}`).digest();
  // The first 4 bytes as a fraction in [0, 1).
  return digest.readUInt32BE(0) / 2 ** 32 < cloudShare / 100;
}

/** The route the campaign prefers for this recipient. */
export function routeFor(campaign: Pick<Campaign, 'id' | 'route' | 'cloudShare'>, phone: string): Route {
  if (campaign.route !== 'split') return campaign.route;
  return inCloudHoldout(campaign.id, phone, campaign.cloudShare ?? 0) ? 'cloud' : 'lite';
}

/** Why MM Lite refused: Meta's code and what it means. */
export type LiteRefusal = { code: string; reason: string };

/** What a refusal applies to (the classifier's `scope` of a `fallback` verdict). */
export type RefusalScope = 'message' | 'recipient' | 'template' | 'channel';

/** Remembered refusals for one channel; in-process and Redis versions implement it. */
export type LiteEligibilityMemory = {
  /** The refusal remembered for this template (or for the whole channel), if still fresh. */
  refusal(templateName: string): LiteRefusal | undefined | Promise<LiteRefusal | undefined>;
  /** Remembers a refusal for the whole channel (`template` undefined) or one template. */
  remember(template: string | undefined, refusal: LiteRefusal): void | Promise<void>;
};

/** The memory's key for a refusal of the whole channel (a template's key is its name). */
export const CHANNEL_SCOPE = '*';

/** Why a lite message went (or was going) through the Cloud API. */
export type Fallback = LiteRefusal & { remembered: boolean };

/** Where a message starts: on the preferred route, unless it is lite and MM Lite refused it recently. */
export function startingRoute(preferred: Route, remembered: LiteRefusal | undefined): { route: Route; fallback?: Fallback } {
  if (preferred === 'lite' && remembered) return { route: 'cloud', fallback: { code: remembered.code, reason: remembered.reason, remembered: true } };
  return { route: preferred };
}

/** What a lite refusal leads to: one re-send through the Cloud API, and what to remember, if anything. */
export function planFallback(refusal: LiteRefusal & { scope?: RefusalScope }): { route: 'cloud'; fallback: Fallback; remember?: 'channel' | 'template' } {
  const plan: { route: 'cloud'; fallback: Fallback; remember?: 'channel' | 'template' } = {
    route: 'cloud',
    fallback: { code: refusal.code, reason: refusal.reason, remembered: false },
  };
  // A message-scope refusal (a parameter not yet synced) says nothing about the next message.
  if (refusal.scope === 'channel' || refusal.scope === 'template') plan.remember = refusal.scope;
  return plan;
}
