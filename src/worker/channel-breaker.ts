/**
 * Notices when 360dialog stops answering a channel altogether (refused or hung connections), as
 * opposed to the odd failed request. After `threshold` network failures in a row with no answer
 * in between, the channel cools down in every worker, doubling while the outage lasts; the first
 * answer of any kind closes it again. Without it, a hung endpoint would swallow a full rate of
 * requests, each ending `unknown`.
 */
import type { SendResponse } from '../dialog360/parse-response.ts';

export type BreakerOptions = { threshold: number; firstCoolDownMs: number; maxCoolDownMs: number };

// Capped at 10 s so that a channel is back within seconds of 360dialog coming back.
const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, firstCoolDownMs: 1_000, maxCoolDownMs: 10_000 };

export type ChannelBreaker = {
  /** Records an answer; returns a cool-down to apply to the channel, in ms, or 0. */
  record(response: SendResponse): number;
};

export function createChannelBreaker(options: BreakerOptions = DEFAULT_BREAKER): ChannelBreaker {
  let failuresInARow = 0;
  let trips = 0;
  return {
    record(response) {
      if (response.kind !== 'network') {
        failuresInARow = 0;
        trips = 0;
        return 0;
      }
      failuresInARow += 1;
      if (failuresInARow < options.threshold) return 0;
      failuresInARow = 0;
      trips += 1;
      return Math.min(options.maxCoolDownMs, options.firstCoolDownMs * 2 ** (trips - 1));
    },
  };
}
