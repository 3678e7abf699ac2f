/**
 * Priorities between campaigns on one channel, as BullMQ job priorities (1 runs first), with
 * aging so a low-priority campaign is never starved for ever: a batch that has waited, ready to
 * run, for longer than the aging step moves up one level per step, until it is level with `high`
 * (and then goes in arrival order with them).
 */
import type { CampaignPriority } from './campaign.ts';

/** BullMQ priorities: lower runs first. Every batch gets one: BullMQ runs jobs without a priority before all prioritized ones. */
export const PRIORITY_LEVELS: Readonly<Record<CampaignPriority, number>> = { high: 1, normal: 2, low: 3 };

/** How long a ready batch waits before it moves up one level. */
export const DEFAULT_PRIORITY_AGING_MS = 10 * 60_000;

/** The BullMQ priority of a campaign's batches (`normal` when unset). */
export function jobPriority(priority: CampaignPriority | undefined): number {
  return PRIORITY_LEVELS[priority ?? 'normal'];
}

/** The priority a batch of base priority `base`, ready since `readySince`, has at `now`. */
export function agedPriority(base: number, readySince: number, now: number, agingMs: number): number {
  const steps = Math.max(0, Math.floor((now - readySince) / agingMs));
  return Math.max(PRIORITY_LEVELS.high, base - steps);
}
