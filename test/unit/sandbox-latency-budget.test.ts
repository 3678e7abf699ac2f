import { describe, expect, it } from 'vitest';
import { drawLatency } from '../../src/sandbox/latency-model.ts';
import { createSlidingWindow } from '../../src/sandbox/rate-window.ts';
import { parseSandboxConfig } from '../../src/sandbox/sandbox-config.ts';
import { createSeededRandom } from '../../src/sandbox/seeded-random.ts';

describe('sandbox latency model', () => {
  it.each(['uniform', 'lognormal'] as const)('%s draws stay within the bounds, spread out, and replay with the seed', (distribution) => {
    const model = { distribution, minMs: 150, maxMs: 600 };
    const draw = (seed: number) => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 2000 }, () => drawLatency(model, random));
    };
    const values = draw(7);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...values)).toBeLessThanOrEqual(600);
    const sorted = [...values].sort((a, b) => a - b);
    const median = sorted[1000]!;
    expect(median).toBeGreaterThan(250);
    expect(median).toBeLessThan(400);
    expect(sorted[1900]! - sorted[100]!).toBeGreaterThan(200);
    expect(draw(7)).toEqual(values);
  });

  it('is part of the configuration, with the bounds checked', () => {
    expect(parseSandboxConfig({ latency: { minMs: 150, maxMs: 600 } }).latency).toEqual({ distribution: 'lognormal', minMs: 150, maxMs: 600 });
    expect(() => parseSandboxConfig({ latency: { minMs: 600, maxMs: 150 } })).toThrow(/maxMs/);
    expect(parseSandboxConfig({ channels: [{ apiKey: 'k', mps: 200, inboundMps: 50 }] }).channels[0]?.inboundMps).toBe(50);
  });
});

describe('sliding window count', () => {
  it('counts the trailing second without recording', () => {
    const window = createSlidingWindow(1000);
    window.record(0);
    window.record(400);
    expect(window.count(900)).toBe(2);
    expect(window.count(1000)).toBe(1);
    expect(window.total).toBe(2);
  });
});
