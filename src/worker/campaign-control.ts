/**
 * Tells running batches, within a second, that their campaign was paused, cancelled or finished.
 * State changes are published by the campaign store's transition script; a worker listens on one
 * subscriber connection and also re-reads the state of its active campaigns every second, so a
 * message lost during a Redis reconnect delays a pause by at most that second.
 */
import { setMaxListeners } from 'node:events';
import type { RedisClient as Redis } from '../shared/redis.ts';
import type { Logger } from 'pino';
import { isSending, type CampaignState } from '../shared/campaign-lifecycle.ts';
import type { Keys } from '../shared/keys.ts';

export type CampaignWatch = {
  /** Aborts when the campaign leaves a sending state. */
  readonly signal: AbortSignal;
  state(): CampaignState;
  release(): void;
};

export type CampaignControl = {
  watch(campaignId: string, initialState: CampaignState): CampaignWatch;
  close(): Promise<void>;
};

type Entry = { state: CampaignState; controller: AbortController; refs: number };

/** A controller whose signal many concurrent batches may listen to. */
function newController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

export function createCampaignControl(deps: { redis: Redis; subscriber: Redis; keys: Keys; logger: Logger; refreshMs?: number }): CampaignControl {
  const entries = new Map<string, Entry>();
  const pattern = deps.keys.campaignControl('*');
  const prefix = pattern.slice(0, pattern.indexOf('*'));
  const suffix = pattern.slice(pattern.indexOf('*') + 1);

  const apply = (campaignId: string, state: CampaignState) => {
    const entry = entries.get(campaignId);
    if (!entry || entry.state === state) return;
    entry.state = state;
    if (!isSending(state)) entry.controller.abort(state);
    else if (entry.controller.signal.aborted) entry.controller = newController();
  };

  deps.subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
    if (channel.startsWith(prefix) && channel.endsWith(suffix)) apply(channel.slice(prefix.length, channel.length - suffix.length), message as CampaignState);
  });
  const subscribed = deps.subscriber.psubscribe(pattern).catch((error: unknown) => deps.logger.error({ err: error }, 'control subscribe failed'));

  const timer = setInterval(() => {
    for (const id of entries.keys()) {
      deps.redis.hget(deps.keys.campaignMeta(id), 'state').then(
        (state) => state && apply(id, state as CampaignState),
        () => undefined,
      );
    }
  }, deps.refreshMs ?? 1_000);
  timer.unref();

  return {
    watch(campaignId, initialState) {
      let entry = entries.get(campaignId);
      if (!entry) {
        entry = { state: initialState, controller: newController(), refs: 0 };
        if (!isSending(initialState)) entry.controller.abort(initialState);
        entries.set(campaignId, entry);
      }
      entry.refs += 1;
      const current = entry;
      const signal = current.controller.signal;
      let released = false;
      return {
        signal,
        state: () => current.state,
        release() {
          if (released) return;
          released = true;
          current.refs -= 1;
          if (current.refs <= 0) entries.delete(campaignId);
        },
      };
    },
    async close() {
      clearInterval(timer);
      await subscribed;
      entries.clear();
    },
  };
}
