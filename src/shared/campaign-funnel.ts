/**
 * The per-route funnel of a campaign: what a user looks at to decide whether MM Lite pays off.
 * For each group (MM Lite; Cloud API by choice; fallbacks from MM Lite; sent to MM Lite but
 * delivered by the Cloud API): sent,
 * delivered, read, clicked, failed by code, and time from send to delivery (median and p90, from a
 * histogram with 25%-wide buckets).
 */
import type { RedisClient as Redis } from './redis.ts';
import type { Counts } from './campaign.ts';
import type { Keys } from './keys.ts';

export const FUNNEL_GROUPS = ['lite', 'cloud', 'fallback', 'liteViaCloud'] as const;
export type FunnelGroup = (typeof FUNNEL_GROUPS)[number];

/** Mirrors LATENCY_BUCKET_RATIO of the webhook store. */
const BUCKET_RATIO = 1.25;

export type FunnelRow = {
  sent: number;
  delivered: number;
  read: number;
  /** null for the Cloud API groups: the Cloud API sends no click events, so there is nothing to count. */
  clicked: number | null;
  failed: number;
  failedByCode: Record<string, number>;
  deliveredRate: number | null;
  readRate: number | null;
  clickRate: number | null;
  /** Milliseconds from acceptance to the `delivered` webhook; null until something is delivered. */
  deliveryMs: { median: number; p90: number } | null;
};

export type Funnel = Record<FunnelGroup, FunnelRow>;

/** The value at quantile q of a bucketed histogram (bucket b covers [r^b − 1, r^(b+1) − 1) ms). */
export function histogramQuantile(buckets: ReadonlyMap<number, number>, q: number): number | null {
  const total = [...buckets.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(bucket) ?? 0;
    if (seen >= rank) return Math.round(BUCKET_RATIO ** (bucket + 0.5) - 1);
  }
  return null;
}

const rate = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null);

/** Builds the funnel from the campaign's funnel hash and its send counters. */
export function buildFunnel(raw: Record<string, string>, counts: Pick<Counts, 'sentLite' | 'sentCloud' | 'fallbacks'>): Funnel {
  const n = (key: string) => Number(raw[key] ?? 0);
  const viaCloud = n('liteViaCloud:sent');
  const sent: Record<FunnelGroup, number> = {
    lite: Math.max(0, counts.sentLite - viaCloud),
    cloud: Math.max(0, counts.sentCloud - counts.fallbacks),
    fallback: counts.fallbacks,
    liteViaCloud: viaCloud,
  };
  const funnel = {} as Funnel;
  for (const group of FUNNEL_GROUPS) {
    const failedByCode: Record<string, number> = {};
    const latency = new Map<number, number>();
    for (const [key, value] of Object.entries(raw)) {
      if (key.startsWith(`${group}:failed:`)) failedByCode[key.slice(`${group}:failed:`.length)] = Number(value);
      else if (key.startsWith(`${group}:lat:`)) latency.set(Number(key.slice(`${group}:lat:`.length)), Number(value));
    }
    const delivered = n(`${group}:delivered`);
    const clicked = group === 'lite' ? n('lite:clicked') : null;
    const median = histogramQuantile(latency, 0.5);
    funnel[group] = {
      sent: sent[group],
      delivered,
      read: n(`${group}:read`),
      clicked,
      failed: n(`${group}:failed`),
      failedByCode,
      deliveredRate: rate(delivered, sent[group]),
      readRate: rate(n(`${group}:read`), sent[group]),
      clickRate: clicked === null ? null : rate(clicked, sent[group]),
      deliveryMs: median === null ? null : { median, p90: histogramQuantile(latency, 0.9) ?? median },
    };
  }
  return funnel;
}

export async function campaignFunnel(redis: Redis, keys: Keys, campaignId: string, counts: Pick<Counts, 'sentLite' | 'sentCloud' | 'fallbacks'>): Promise<Funnel> {
  return buildFunnel(await redis.hgetall(keys.campaignFunnel(campaignId)), counts);
}
