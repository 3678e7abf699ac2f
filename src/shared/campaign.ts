/**
 * The campaign vocabulary of design.md: states, outcomes, counters. Shared by producer, worker,
 * API and CLI.
 */
import type { TemplateComponent } from './outbound-message.ts';
import type { CampaignState } from './campaign-lifecycle.ts';

export type { CampaignState } from './campaign-lifecycle.ts';

/** How a campaign's messages are routed: all MM Lite, all Cloud API, or a holdout split of both. */
export type RouteMode = 'lite' | 'cloud' | 'split';

/** Terminal outcome of one recipient in one campaign (design.md "outcome"). */
export type Outcome = 'sent' | 'failed' | 'expired' | 'suppressed' | 'skipped' | 'cancelled' | 'unknown' | 'capped';

/** Counter names in the campaign's counts hash. `total` = pending + every terminal outcome. */
export const COUNT_KEYS = [
  'total',
  'pending',
  'sent',
  'sentLite',
  'sentCloud',
  'fallbacks',
  'failed',
  'expired',
  'suppressed',
  'skipped',
  'cancelled',
  'unknown',
  /** Not sent: the channel's frequency cap for this recipient was reached. */
  'capped',
  'delivered',
  'read',
  'clicked',
  /** Accepted with `message_status` held_for_quality_assessment or paused (template pacing): among `sent`, not sent yet by Meta. */
  'held',
  /** Fallbacks to the Cloud API of a campaign with a TTL: `/messages` has no per-message TTL, so theirs was dropped. */
  'ttlDropped',
] as const;

export type CountKey = (typeof COUNT_KEYS)[number];
export type Counts = Record<CountKey, number>;

/** The counters that partition `total`: every recipient is in exactly one of them. */
export const PARTITION_KEYS = ['pending', 'sent', 'failed', 'expired', 'suppressed', 'skipped', 'cancelled', 'unknown', 'capped'] as const satisfies readonly CountKey[];

/** Everything fixed when a campaign is created. */
export type CampaignSpec = {
  id: string;
  channelId: string;
  template: { name: string; language: string; components: TemplateComponent[] };
  /**
   * Seconds; deadline = start + TTL. Also sent to Meta as `message_send_ttl_seconds` on the lite
   * route. Unset: Meta's default for marketing (30 days) is the local deadline and nothing is sent.
   */
  ttlSeconds?: number;
  route: RouteMode;
  /** For `split`: percent of recipients (by a stable hash) sent through the Cloud API as a holdout. */
  cloudShare?: number;
  activitySharing?: boolean;
  /**
   * `product_policy` of the MM Lite sends: `STRICT` keeps the MM group MM only (Meta does not
   * deliver it through the Cloud API), so a split compares MM with the Cloud API cleanly.
   */
  productPolicy?: 'STRICT' | 'CLOUD_API_FALLBACK';
  /** Epoch ms; the campaign does not send before it. */
  startAt: number;
  batchSize: number;
  createdAt: number;
  /** "09:00-20:00": send only inside this daily window of each recipient's local time. */
  sendWindow?: string;
  /** Order between campaigns on one channel (BullMQ job priority, with aging). */
  priority?: CampaignPriority;
};

/** A campaign's priority between the campaigns of one channel. */
export type CampaignPriority = 'high' | 'normal' | 'low';

/** A campaign as stored: the spec plus its changing state. */
export type Campaign = CampaignSpec & {
  state: CampaignState;
  /** Why it is paused (e.g. "132015: template paused for low quality"). */
  reason?: string;
  /** Epoch ms when intake finished (all batches enqueued); unset while reading the file. */
  intakeDoneAt?: number;
  batches: number;
  startedAt?: number;
  finishedAt?: number;
  /** The channel rate (msg/s) the deadline preflight assumed; the status projects expiries with it. */
  preflightMps?: number;
};

/** Meta's default TTL for marketing messages: 30 days. */
export const DEFAULT_MARKETING_TTL_SECONDS = 2_592_000;

/** Epoch ms after which nothing of this campaign may be posted. */
export function campaignDeadline(spec: Pick<CampaignSpec, 'startAt' | 'ttlSeconds'>): number {
  return spec.startAt + (spec.ttlSeconds ?? DEFAULT_MARKETING_TTL_SECONDS) * 1000;
}
