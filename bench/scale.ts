/**
 * How big each part of the benchmark is, in full and in quick mode. Full mode is sized for
 * figures worth comparing (at least 8–10 s of steady state per rate run, a million recipients) and
 * takes under 10 minutes on 2 cores; quick mode keeps every measurement but scales it down to
 * finish in under 2 minutes.
 */

import type { ScalingScale } from './scaling.ts';
import type { WebhookScale } from './webhook-ingestion.ts';

export type Scale = {
  rate: {
    workerCounts: number[];
    limits: Array<{ mps: number; recipients: number }>;
    /** A labelled extra run with a higher LITECAST_RATE_MARGIN: can the pacing aim closer to the limit? */
    tuned?: { workerCounts: number[]; margin: number };
  };
  raw: { concurrency: number; warmupMs: number; measureMs: number };
  throughput: { channels: number; mpsPerChannel: number; recipientsPerChannel: number; workers: number };
  intake: { large: number; small: number };
  webhooks: WebhookScale;
  scaling: ScalingScale;
};

export const FULL: Scale = {
  // 1,000 at 80 msg/s × 0.97 ≈ 13 s; 12,000 at 1,000 msg/s × 0.97 ≈ 12.4 s: ≥ 10 s steady each.
  rate: { workerCounts: [1, 2, 4], limits: [{ mps: 80, recipients: 1_000 }, { mps: 1_000, recipients: 12_000 }], tuned: { workerCounts: [2], margin: 0.985 } },
  // 64 in flight: the litecast client's own socket limit per channel.
  raw: { concurrency: 64, warmupMs: 1_000, measureMs: 5_000 },
  throughput: { channels: 10, mpsPerChannel: 1_000, recipientsPerChannel: 5_000, workers: 2 },
  intake: { large: 1_000_000, small: 100_000 },
  // One channel limited to 5,000 msg/s: the send goes as fast as the machine can (the reference for
  // "≥ 3× the peak send rate"). Then, 3 statuses per recipient: 9,000 recipients in 540 POSTs of 50
  // as fast as acknowledged; 10,000 in 600 POSTs of 50 paced at the target rate (≈ 3 s at 10,000
  // events/s); 10,000 in 30,000 POSTs of 1 over 64 connections (as 360dialog posts one status per
  // POST from many at once), after the same POSTs to a trivial server as the reference; 6,000 in
  // 18,000 POSTs of 1 paced at the target rate (≈ 1.8 s at 10,000 events/s).
  webhooks: {
    recipients: 36_000,
    sendMps: 5_000,
    workers: 2,
    connections: 8,
    warmupRecipients: 1_000,
    runs: [
      { label: '50 per POST', recipients: 9_000, statusesPerPost: 50 },
      { label: '50 per POST, paced', recipients: 10_000, statusesPerPost: 50, paced: true },
      { label: '1 per POST', recipients: 10_000, statusesPerPost: 1, connections: 64, rawReference: true },
      { label: '1 per POST, paced', recipients: 6_000, statusesPerPost: 1, connections: 64, paced: true },
    ],
  },
  // Per configuration: 12,000 messages on 4 channels (≈ 6–8 s at this machine's rate) and 6,000 on
  // one channel at 1,000 msg/s (≈ 6.2 s, ≥ 4 s of steady state); 8 configurations.
  scaling: { workerCounts: [1, 2, 4, 8], cluster: true, aggregate: { channels: 4, mpsPerChannel: 1_000, recipientsPerChannel: 3_000 }, rate: { mps: 1_000, recipients: 6_000 } },
};

export const QUICK: Scale = {
  rate: { workerCounts: [1, 2], limits: [{ mps: 80, recipients: 400 }, { mps: 1_000, recipients: 4_000 }] },
  raw: { concurrency: 64, warmupMs: 500, measureMs: 2_000 },
  throughput: { channels: 10, mpsPerChannel: 1_000, recipientsPerChannel: 1_000, workers: 2 },
  intake: { large: 100_000, small: 10_000 },
  webhooks: {
    recipients: 8_000,
    sendMps: 5_000,
    workers: 2,
    connections: 8,
    warmupRecipients: 300,
    runs: [
      { label: '50 per POST', recipients: 1_500, statusesPerPost: 50 },
      { label: '50 per POST, paced', recipients: 1_700, statusesPerPost: 50, paced: true },
      { label: '1 per POST', recipients: 3_000, statusesPerPost: 1, connections: 64, rawReference: true },
      { label: '1 per POST, paced', recipients: 1_500, statusesPerPost: 1, connections: 64, paced: true },
    ],
  },
  scaling: { workerCounts: [1, 2], cluster: false, aggregate: { channels: 4, mpsPerChannel: 1_000, recipientsPerChannel: 1_500 }, rate: { mps: 1_000, recipients: 3_000 } },
};

export function describeScale(scale: Scale): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const t = scale.throughput;
  return [
    `rate: ${scale.rate.limits.map((l) => `${n(l.recipients)} recipients at ${n(l.mps)} msg/s`).join(', ')}; with ${scale.rate.workerCounts.join(', ')} worker processes${scale.rate.tuned ? `; tuned: LITECAST_RATE_MARGIN=${scale.rate.tuned.margin} with ${scale.rate.tuned.workerCounts.join(', ')}` : ''}`,
    `throughput: raw reference ${n(scale.raw.measureMs / 1000)} s; pipeline ${t.channels} channels × ${n(t.recipientsPerChannel)} recipients at ${n(t.mpsPerChannel)} msg/s, ${t.workers} workers`,
    `intake: ${n(scale.intake.large)} and ${n(scale.intake.small)} recipients`,
    `webhooks: a campaign of ${n(scale.webhooks.recipients)} sent at up to ${n(scale.webhooks.sendMps)} msg/s by ${scale.webhooks.workers} workers; then ${scale.webhooks.runs.map((r) => `${n(r.recipients * 3)} statuses ${r.statusesPerPost} per POST${r.paced ? ' paced at the target rate' : ''}`).join(', ')}, ${scale.webhooks.connections} connections`,
    `scaling: ${scale.scaling.workerCounts.join(', ')} workers on a single Redis${scale.scaling.cluster ? ' and on a three-master cluster' : ''}: ${scale.scaling.aggregate.channels} channels × ${n(scale.scaling.aggregate.recipientsPerChannel)} recipients at ${n(scale.scaling.aggregate.mpsPerChannel)} msg/s, and ${n(scale.scaling.rate.recipients)} recipients on one channel at ${n(scale.scaling.rate.mps)} msg/s`,
  ].join('\n  ');
}
