/**
 * The deadline preflight's arithmetic: given a channel's rate, what is queued ahead on it, the
 * recipients per time zone and the send window, how many recipients would still be pending at the
 * deadline. Pure (the moment is an argument). Zones are served one after another in the order
 * their windows open, each at the full channel rate: the channel is the bottleneck, so the total
 * sent inside the open hours is what counts, not which zone goes first.
 */
import { nextWindowOpening, windowClosing, type SendWindow } from './send-window.ts';

/** Recipients of one time zone. */
export type ZoneGroup = { zone: string; recipients: number };

export type DeadlineEstimateInput = {
  /** When sending can begin (start time, or now for a running campaign). */
  from: number;
  deadline: number;
  /** The channel's messages per second. */
  mps: number;
  /** Recipients of other campaigns already waiting on the channel. */
  queuedAhead: number;
  groups: readonly ZoneGroup[];
  window?: SendWindow;
};

/** `expiring`: recipients the deadline would catch; `finishAt`: when the last one would be sent (null when some expire). */
export type DeadlineEstimate = { expiring: number; finishAt: number | null };

/** Estimates how many recipients would expire; see the module comment for the model. */
export function estimateDeadline(input: DeadlineEstimateInput): DeadlineEstimate {
  const perMs = input.mps / 1000;
  let cursor = input.from + input.queuedAhead / perMs;
  const groups = input.groups.filter((g) => g.recipients > 0);
  if (!input.window) {
    const total = groups.reduce((sum, g) => sum + g.recipients, 0);
    const capacity = Math.max(0, Math.floor((input.deadline - cursor) * perMs));
    return total <= capacity ? { expiring: 0, finishAt: Math.ceil(cursor + total / perMs) } : { expiring: total - capacity, finishAt: null };
  }
  const window = input.window;
  const ordered = groups
    .map((g) => ({ ...g, opens: nextWindowOpening(window, g.zone, input.from) }))
    .sort((a, b) => a.opens - b.opens);
  let expiring = 0;
  for (const group of ordered) {
    let left = group.recipients;
    let t = cursor;
    while (left > 0) {
      const open = nextWindowOpening(window, group.zone, t);
      if (open >= input.deadline) break;
      const close = Math.min(windowClosing(window, group.zone, open), input.deadline);
      const capacity = Math.floor((close - open) * perMs);
      if (capacity >= left) {
        t = open + left / perMs;
        left = 0;
      } else {
        left -= capacity;
        t = close;
      }
    }
    expiring += left;
    cursor = Math.max(cursor, t);
  }
  return { expiring, finishAt: expiring > 0 ? null : Math.ceil(cursor) };
}
