import type { Route } from './validate-message.ts';

/** One message the sandbox accepted (answered 200, or accepted before a lost answer). */
export interface AcceptedMessage {
  wamid: string;
  /** Channel id (the phone number id), never the API key. */
  channel: string;
  to: string;
  /** Endpoint that accepted it. */
  route: Route;
  /** How Meta delivered it: `cloud` for `/messages` and for MM Lite's fallback on non-onboarded numbers. */
  deliveredVia: Route;
  template: string;
  language: string;
  /** The request body as received (absent when `recordPayloads` is off). */
  payload?: unknown;
  bizOpaqueCallbackData?: string;
  /** Acceptance time, ms since the epoch. */
  acceptedAt: number;
}

/** Every accepted message in order, plus duplicate counting. */
export interface MessageLog {
  /** Appends a message; returns true when it repeats an earlier (channel, to, correlation) triple. */
  add(message: AcceptedMessage): boolean;
  /** Messages from index `since` on (all by default), for incremental reads. */
  list(since?: number): AcceptedMessage[];
  readonly size: number;
  /** Accepted messages whose (channel, to, biz_opaque_callback_data) repeats an earlier one. */
  readonly duplicates: number;
}

/**
 * Creates an empty log. A duplicate is a message to the same recipient on the same channel with
 * the same `biz_opaque_callback_data` (litecast puts campaign and recipient in it), or, when that
 * is absent, the same template: exactly what "never twice" forbids.
 */
export function createMessageLog(): MessageLog {
  const messages: AcceptedMessage[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  return {
    add(message) {
      messages.push(message);
      const correlation = message.bizOpaqueCallbackData ?? `template:${message.template}/${message.language}`;
      const key = `${message.channel}\u0000${message.to}\u0000${correlation}`;
      if (seen.has(key)) {
        duplicates++;
        return true;
      }
      seen.add(key);
      return false;
    },
    list(since = 0) {
      return messages.slice(Math.max(0, since));
    },
    get size() {
      return messages.length;
    },
    get duplicates() {
      return duplicates;
    },
  };
}
