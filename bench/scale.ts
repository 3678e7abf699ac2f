/**
 * How big each part of the benchmark is, in full and in quick mode. Full mode is sized for
 * figures worth comparing (at least 8–10 s of steady state per rate run, a million recipients) and
 * takes under 10 minutes on 2 cores; quick mode keeps every measurement but scales it down to
 * finish in under 2 minutes.
 */

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
};

export const FULL: Scale = {
  // 1,000 at 80 msg/s × 0.97 ≈ 13 s; 12,000 at 1,000 msg/s × 0.97 ≈ 12.4 s: ≥ 10 s steady each.
  rate: { workerCounts: [1, 2, 4], limits: [{ mps: 80, recipients: 1_000 }, { mps: 1_000, recipients: 12_000 }], tuned: { workerCounts: [2], margin: 0.985 } },
  // 64 in flight: the litecast client's own socket limit per channel.
  raw: { concurrency: 64, warmupMs: 1_000, measureMs: 5_000 },
  throughput: { channels: 10, mpsPerChannel: 1_000, recipientsPerChannel: 5_000, workers: 2 },
  intake: { large: 1_000_000, small: 100_000 },
};

export const QUICK: Scale = {
  rate: { workerCounts: [1, 2], limits: [{ mps: 80, recipients: 400 }, { mps: 1_000, recipients: 4_000 }] },
  raw: { concurrency: 64, warmupMs: 500, measureMs: 2_000 },
  throughput: { channels: 10, mpsPerChannel: 1_000, recipientsPerChannel: 1_000, workers: 2 },
  intake: { large: 100_000, small: 10_000 },
};

export function describeScale(scale: Scale): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const t = scale.throughput;
  return [
    `rate: ${scale.rate.limits.map((l) => `${n(l.recipients)} recipients at ${n(l.mps)} msg/s`).join(', ')}; with ${scale.rate.workerCounts.join(', ')} worker processes${scale.rate.tuned ? `; tuned: LITECAST_RATE_MARGIN=${scale.rate.tuned.margin} with ${scale.rate.tuned.workerCounts.join(', ')}` : ''}`,
    `throughput: raw reference ${n(scale.raw.measureMs / 1000)} s; pipeline ${t.channels} channels × ${n(t.recipientsPerChannel)} recipients at ${n(t.mpsPerChannel)} msg/s, ${t.workers} workers`,
    `intake: ${n(scale.intake.large)} and ${n(scale.intake.small)} recipients`,
  ].join('\n  ');
}
