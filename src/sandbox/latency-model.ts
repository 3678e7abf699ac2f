/**
 * The sandbox's answer time as a distribution, not a constant: the real API answers in hundreds
 * of milliseconds with a long tail (whatsapp-api.md §9), which is what decides how many requests
 * a sender must keep in flight (Little's law). Drawn from the sandbox's seeded generator.
 */
import { z } from 'zod';
import type { Random } from './seeded-random.ts';

export const latencySchema = z
  .strictObject({
    /** `uniform` between the bounds, or `lognormal` with its median at √(min × max) and ±2σ at the bounds (clamped). */
    distribution: z.enum(['uniform', 'lognormal']).default('lognormal'),
    minMs: z.number().int().nonnegative(),
    maxMs: z.number().int().nonnegative(),
  })
  .refine((l) => l.maxMs >= l.minMs, { message: 'maxMs must be at least minMs' });

export type LatencyModel = z.output<typeof latencySchema>;

/** One answer time in ms drawn from `model`. */
export function drawLatency(model: LatencyModel, random: Random): number {
  const { minMs, maxMs } = model;
  if (maxMs === minMs) return minMs;
  if (model.distribution === 'uniform') return Math.round(minMs + (maxMs - minMs) * random());
  const low = Math.max(1, minMs);
  const median = Math.sqrt(low * maxMs);
  const sigma = Math.log(maxMs / low) / 4;
  // Box–Muller from two uniforms of the seeded generator.
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.round(Math.max(minMs, Math.min(maxMs, median * Math.exp(sigma * normal))));
}
