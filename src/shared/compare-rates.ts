/**
 * Is MM Lite's delivered (or read) rate really different from the Cloud API's, or is it noise?
 * The difference of two proportions with Newcombe's hybrid score interval (method 10, from two
 * Wilson intervals), which behaves well near 0% and 100%, where delivery rates live.
 */

const Z95 = 1.959964;

/** Wilson score interval of x successes out of n, at 95%. */
export function wilsonInterval(x: number, n: number, z = Z95): [number, number] {
  if (n === 0) return [0, 1];
  const p = x / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export type RateDifference = {
  lite: number | null;
  cloud: number | null;
  /** lite − cloud. */
  difference: number | null;
  /** 95% confidence interval of the difference. */
  ci95: [number, number] | null;
  /** The interval excludes 0. */
  significant: boolean;
};

const round = (v: number) => Math.round(v * 10_000) / 10_000;

/** Compares x1/n1 (MM Lite) with x2/n2 (Cloud API). */
export function compareRates(x1: number, n1: number, x2: number, n2: number): RateDifference {
  if (n1 === 0 || n2 === 0) return { lite: n1 ? round(x1 / n1) : null, cloud: n2 ? round(x2 / n2) : null, difference: null, ci95: null, significant: false };
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const [l1, u1] = wilsonInterval(x1, n1);
  const [l2, u2] = wilsonInterval(x2, n2);
  const d = p1 - p2;
  const lower = d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2);
  const upper = d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2);
  return { lite: round(p1), cloud: round(p2), difference: round(d), ci95: [round(lower), round(upper)], significant: lower > 0 || upper < 0 };
}
