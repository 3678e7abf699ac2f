/**
 * The channel limiter against real Redis, two limiter sets standing for two worker processes: the
 * slots the clustered Bottleneck hands out keep every one-second window within the channel's rate
 * whoever takes them, and a cool-down set by one worker stops the other at once (pub/sub), with no
 * slot used inside it. Counts, not wall-clock durations.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createKeys } from '../../src/shared/keys.ts';
import { createRedis } from '../../src/shared/redis.ts';
import { createChannelLimiters, type ChannelLimiters } from '../../src/worker/channel-limiter.ts';
import { REDIS_URL, dropNamespace, testConfig } from '../support/test-env.ts';
import { waitFor } from '../support/wait-for.ts';

const redis = createRedis(REDIS_URL);
const logger = pino({ level: 'silent' });
const open: ChannelLimiters[] = [];
const connections: Array<ReturnType<typeof createRedis>> = [];
const namespaces: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
  for (const connection of connections.splice(0)) connection.disconnect();
  await Promise.all(namespaces.splice(0).map((ns) => dropNamespace(ns)));
});
afterAll(() => redis.disconnect());

/** Two limiter sets on their own connections, at the default margin (0.97 of the limit). */
function twoWorkers(margin = 0.97) {
  const { namespace } = testConfig();
  namespaces.push(namespace);
  const keys = createKeys(namespace);
  const a = createChannelLimiters({ redis, keys, margin, logger });
  const second = createRedis(REDIS_URL);
  connections.push(second);
  const b = createChannelLimiters({ redis: second, keys, margin, logger });
  open.push(a, b);
  return { a, b };
}

/** Most timestamps in any window of `ms`. */
function busiestWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((x, y) => x - y);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('channel limiter shared by workers', () => {
  it('hands out slots that keep every second within the rate, across workers', async () => {
    const { a, b } = twoWorkers();
    const channel = { id: 'ch', mps: 200 };
    const times: number[] = [];
    // 60 lanes per worker, each taking slots back to back: far more demand than 200 msg/s.
    const lane = async (limiters: ChannelLimiters, count: number) => {
      for (let i = 0; i < count; i++) {
        await limiters.forChannel(channel).acquire();
        times.push(Date.now());
      }
    };
    await Promise.all([...Array.from({ length: 60 }, () => lane(a, 5)), ...Array.from({ length: 60 }, () => lane(b, 5))]);
    expect(times).toHaveLength(600);
    // Never over the channel's limit in any one-second window, though slots may be used late.
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(200);
    // Demand above the rate cannot go faster than the pace (194 msg/s): 600 slots take about 3.1 s.
    const span = Math.max(...times) - Math.min(...times);
    expect(span).toBeGreaterThanOrEqual(3_000);
  });

  it('a cool-down set by one worker stops the other, with no slot used inside it', async () => {
    const { a, b } = twoWorkers();
    const channel = { id: 'ch', mps: 100 };
    await Promise.all([a.forChannel(channel).acquire(), b.forChannel(channel).acquire()]);
    const times: number[] = [];
    let stop = false;
    const lane = async () => {
      while (!stop) {
        await b.forChannel(channel).acquire();
        times.push(Date.now());
      }
    };
    const lanes = Array.from({ length: 5 }, () => lane());
    await waitFor(() => times.length >= 10, { what: 'worker B sending' });
    const from = Date.now();
    await a.forChannel(channel).coolDown(500);
    const until = from + 500;
    await waitFor(() => times.some((t) => t >= until), { what: 'worker B sending again after the cool-down' });
    stop = true;
    await Promise.all(lanes);
    // Pub/sub takes a moment: slots handed out before the news may still go, none later.
    expect(times.filter((t) => t > from + 50 && t < until)).toEqual([]);
  });
});
