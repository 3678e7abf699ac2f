import { createSlidingWindow, type SlidingWindow } from './rate-window.ts';
import type { Route } from './validate-message.ts';

/** Per-channel counters. */
export interface ChannelStats {
  /** Highest number of message POSTs (both endpoints, any answer) in any sliding 1000 ms window. */
  maxRequestsInAnySecond: number;
  /** Highest number of accepted messages in any sliding 1000 ms window. */
  maxAcceptedInAnySecond: number;
  requests: number;
  accepted: number;
}

/** What `GET /_sandbox/stats` returns. */
export interface SandboxStats {
  accepted: number;
  byRoute: Record<Route, number>;
  /** Message POSTs received on both endpoints, whatever the answer. */
  requests: number;
  /** Error answers by Meta code (`"131009"`), or `"http_<status>"` for answers without one (401, 429, 5xx). */
  rejectedByCode: Record<string, number>;
  /** Fault effects applied, by effect type. */
  faultsApplied: Record<string, number>;
  perChannel: Record<string, ChannelStats>;
  duplicates: number;
  /** Webhook POSTs answered 2xx. */
  webhooksSent: number;
  /** Statuses, clicks, inbound messages and preferences inside those POSTs. */
  webhookEventsSent: number;
  /** Webhook POSTs given up after their retries. */
  webhookFailures: number;
  /** Webhook events scheduled or in flight. */
  webhooksPending: number;
}

/** Counters fed by the request pipeline. */
export interface StatsRecorder {
  /** Counts a message POST; returns how many the channel received in the trailing second (this one included). */
  recordRequest(channelId: string | undefined, now: number): number;
  recordAccepted(channelId: string, route: Route, now: number): void;
  /** Messages of the channel accepted in the trailing second. */
  acceptedInWindow(channelId: string, now: number): number;
  recordRejection(key: number | string): void;
  recordFault(type: string): void;
  /** Counters plus the figures other parts own. */
  snapshot(extra: Pick<SandboxStats, 'duplicates' | 'webhooksSent' | 'webhookEventsSent' | 'webhookFailures' | 'webhooksPending'>): SandboxStats;
}

interface ChannelCounters {
  requests: SlidingWindow;
  accepted: SlidingWindow;
}

/** Creates zeroed counters. Times are monotonic milliseconds (`performance.now()`). */
export function createStatsRecorder(): StatsRecorder {
  const channels = new Map<string, ChannelCounters>();
  const byRoute: Record<Route, number> = { lite: 0, cloud: 0 };
  const rejectedByCode: Record<string, number> = {};
  const faultsApplied: Record<string, number> = {};
  let requests = 0;
  let accepted = 0;
  const channel = (id: string) => {
    let counters = channels.get(id);
    if (counters === undefined) {
      counters = { requests: createSlidingWindow(), accepted: createSlidingWindow() };
      channels.set(id, counters);
    }
    return counters;
  };
  return {
    recordRequest(channelId, now) {
      requests++;
      return channelId === undefined ? 0 : channel(channelId).requests.record(now);
    },
    recordAccepted(channelId, route, now) {
      accepted++;
      byRoute[route]++;
      channel(channelId).accepted.record(now);
    },
    acceptedInWindow(channelId, now) {
      return channel(channelId).accepted.count(now);
    },
    recordRejection(key) {
      rejectedByCode[key] = (rejectedByCode[key] ?? 0) + 1;
    },
    recordFault(type) {
      faultsApplied[type] = (faultsApplied[type] ?? 0) + 1;
    },
    snapshot(extra) {
      const perChannel: Record<string, ChannelStats> = {};
      for (const [id, counters] of channels) {
        perChannel[id] = {
          maxRequestsInAnySecond: counters.requests.max,
          maxAcceptedInAnySecond: counters.accepted.max,
          requests: counters.requests.total,
          accepted: counters.accepted.total,
        };
      }
      return {
        accepted,
        byRoute: { ...byRoute },
        requests,
        rejectedByCode: { ...rejectedByCode },
        faultsApplied: { ...faultsApplied },
        perChannel,
        ...extra,
      };
    },
  };
}
