/**
 * A channel's frequency cap: at most `max` marketing messages from litecast to one recipient in a
 * rolling period ("2/7d"). Parsed here; enforced at send time by the worker's cap script.
 */

export type FrequencyCap = { max: number; periodMs: number; text: string };

const CAP = /^([1-9]\d{0,3})\/([1-9]\d{0,3})([smhd])$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Meta's marketing TTL is at most 30 days; a cap over a year means nothing useful. */
const MAX_PERIOD_MS = 366 * UNIT_MS.d;

/** Why `text` is not a frequency cap, or undefined when it is one. */
export function frequencyCapProblem(text: string): string | undefined {
  const match = CAP.exec(text);
  if (!match) return 'must be <count>/<period> such as 2/7d (units s, m, h, d)';
  const periodMs = Number(match[2]) * UNIT_MS[match[3] as keyof typeof UNIT_MS];
  return periodMs > MAX_PERIOD_MS ? 'the period must be at most 366d' : undefined;
}

/** Parses a cap checked with {@link frequencyCapProblem} (throws on a bad one). */
export function parseFrequencyCap(text: string): FrequencyCap {
  const problem = frequencyCapProblem(text);
  const match = CAP.exec(text);
  if (problem || !match) throw new Error(`frequencyCap "${text}": ${problem ?? 'invalid'}`);
  return { max: Number(match[1]), periodMs: Number(match[2]) * UNIT_MS[match[3] as keyof typeof UNIT_MS], text };
}
