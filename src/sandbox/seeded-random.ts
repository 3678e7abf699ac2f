/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * Creates a seeded pseudo-random generator (mulberry32).
 * Every random decision of the sandbox (read/click rates, fault rates, duplicates, ids) draws from
 * one of these, so two runs with the same seed and the same request order behave identically.
 */
export function createSeededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws `length` hex characters from `random` (ids that only need to look random, not be secret). */
export function randomHex(random: Random, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}
