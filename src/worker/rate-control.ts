/**
 * The control law of a channel's adaptive rate, as pure functions (the Redis state and the
 * Bottleneck update are in adaptive-rate.ts). Meta counts inbound and outbound messages against
 * one per-number limit, so a sporadic 130429 below the configured rate means "slow down a little",
 * not "stop" (whatsapp-api.md §5, §9). The law:
 * - the ceiling is the configured mps × margin: the rate never goes above it;
 * - a throttle lowers the rate in proportion to the refused share of the last window, at most once
 *   per window across every worker (answers to requests already in flight carry the same news);
 *   a refused share within the tolerance, allowing for the noise of a small window (sporadic
 *   throttles of an otherwise healthy channel), does not lower it at all;
 * - between throttles the rate climbs back linearly toward the ceiling (additive recovery): fast
 *   up to the usable rate estimated at the cut (the knee), slowly past it, probing for room.
 * The state is a few numbers, so every worker derives the same current rate from it.
 */

export type RateLaw = {
  /** Configured mps × margin: never exceeded. */
  ceiling: number;
  /** Lowest rate the law goes down to (a share of the ceiling). */
  floor: number;
  /** At most one decrease per window, ms. */
  windowMs: number;
  /** Refused share of a window taken as noise (sporadic throttles). */
  tolerance: number;
  /**
   * How many standard deviations above the tolerance the refused count must be before it cuts: a
   * worker's window holds a hundred answers or so, where 2% of sporadic throttles often shows as 4%.
   */
  z: number;
  /** Fewest refusals in a window that can cut (a window's first answers say little). */
  minRefused: number;
  /** Extra decrease below the estimated usable rate, so the next window is clean. */
  margin: number;
  /** Largest single decrease (a share of the rate). */
  maxCut: number;
  /** Decrease when nothing says how much was refused (a webhook's 130429), as a share. */
  blindCut: number;
  /** Additive recovery, as a share of the ceiling per second, up to the knee. */
  recoveryShare: number;
  /** Recovery above the knee (the usable rate estimated at the last cut): slower, probing for room. */
  probeShare: number;
};

/**
 * The shared state: the rate at `at` (epoch ms), the time of the last decrease, and the knee: the
 * usable rate estimated then, which recovery approaches fast and passes slowly.
 */
export type RateState = { rate: number; at: number; lastCutAt: number; knee: number };

/** What the sender saw in its last window: requests answered and how many of them were throttles. */
export type WindowCounts = { answered: number; refused: number };

/** The default law for a channel of `mps` with the configured margin. */
export function rateLawFor(mps: number, margin: number): RateLaw {
  const ceiling = mps * margin;
  return { ceiling, floor: ceiling * 0.1, windowMs: 1_000, tolerance: 0.025, z: 2, minRefused: 3, margin: 0.02, maxCut: 0.5, blindCut: 0.05, recoveryShare: 0.04, probeShare: 0.01 };
}

/** A fresh channel: at the ceiling. */
export function initialRateState(law: RateLaw, now: number): RateState {
  return { rate: law.ceiling, at: now, lastCutAt: 0, knee: law.ceiling };
}

/** The rate now: the state's rate plus the recovery since (fast up to the knee, slow past it), within [floor, ceiling]. */
export function currentRate(state: RateState, law: RateLaw, now: number): number {
  const seconds = Math.max(0, now - state.at) / 1000;
  const fast = law.recoveryShare * law.ceiling;
  const slow = law.probeShare * law.ceiling;
  const toKnee = Math.max(0, state.knee - state.rate) / fast;
  const recovered = seconds <= toKnee ? state.rate + fast * seconds : Math.max(state.rate, state.knee) + slow * (seconds - toKnee);
  return Math.max(law.floor, Math.min(law.ceiling, recovered));
}

/**
 * The state after a throttle signal, or undefined when the rate stays (a decrease already in this
 * window, or a refused share within the tolerance). `counts` is the sender's last window; without
 * it (a webhook's signal) the cut is `blindCut`.
 */
export function afterThrottle(state: RateState, law: RateLaw, now: number, counts?: WindowCounts): RateState | undefined {
  if (now - state.lastCutAt < law.windowMs) return undefined;
  let cut: number;
  if (counts && counts.answered > 0) {
    const share = counts.refused / counts.answered;
    const expected = law.tolerance * counts.answered;
    if (counts.refused < law.minRefused || counts.refused <= expected + law.z * Math.sqrt(expected)) return undefined;
    // Sent r, refused share s: the usable rate was about r × (1 − s); aim a little under it.
    cut = share + law.margin;
  } else {
    cut = law.blindCut;
  }
  const before = currentRate(state, law, now);
  const share = Math.min(law.maxCut, cut);
  const rate = before * (1 - share);
  // The estimated usable rate (the cut aims `margin` under it): recovery returns there fast, then probes slowly.
  return { rate: Math.max(law.floor, rate), at: now, lastCutAt: now, knee: Math.min(before, before * (1 - share + law.margin)) };
}

/** Little's law: requests a channel needs in flight at `rate` with answers in `p95Ms`, with headroom, within bounds. */
export function inFlightBudget(rate: number, p95Ms: number, options: { headroom: number; min: number; max: number }): number {
  const needed = Math.ceil(rate * (p95Ms / 1000) * options.headroom);
  return Math.max(options.min, Math.min(options.max, needed));
}
