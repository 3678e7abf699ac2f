import { performance } from 'node:perf_hooks';
import type { SandboxConfig } from './sandbox-config.ts';
import { randomHex, type Random } from './seeded-random.ts';
import type { Route } from './validate-message.ts';
import {
  buildClickAction,
  buildStatus,
  buildStatusesBody,
  buildUserActionsBody,
  type PricingCategory,
  type StatusName,
  type WebhookChannel,
  type WebhookMessage,
} from './webhook-payloads.ts';
import { createWebhookPoster, type WebhookTarget } from './webhook-poster.ts';

/** Webhook timing, rates, batching and delivery settings. */
export type WebhookSettings = SandboxConfig['webhook'];

/** An accepted message whose life the emitter plays out as webhooks. */
export interface ScheduleInput {
  wamid: string;
  to: string;
  waId: string;
  userId?: string;
  channel: WebhookChannel;
  target: WebhookTarget;
  category: PricingCategory;
  deliveredVia: Route;
  bizOpaqueCallbackData: string | undefined;
  failure?: WebhookMessage['failure'];
}

/** Plays out accepted messages as batched status and click webhooks. */
export interface WebhookEmitter {
  /** Schedules the statuses (and maybe a click) of a message accepted at `now` (monotonic ms). */
  schedule(input: ScheduleInput, now: number): void;
  /** Posts one body right away, outside batching (inbound messages, preference changes). */
  sendNow(target: WebhookTarget, body: unknown): void;
  /** Sends every scheduled event now, whatever its due time, and waits for all POSTs to finish. */
  flush(): Promise<void>;
  /** Drops events not posted yet and zeroes the counters (for reset). */
  clear(): void;
  readonly pending: number;
  readonly sent: number;
  readonly events: number;
  readonly failures: number;
  close(): void;
}

interface ScheduledEvent {
  due: number;
  status: StatusName | 'click';
  message: WebhookMessage;
  target: WebhookTarget;
  clickId?: string;
  /** Carries pricing (sent, and the first of delivered/read). */
  priced?: boolean;
}

interface Batch {
  channel: WebhookChannel;
  target: WebhookTarget;
  clicks: boolean;
  items: Array<Record<string, unknown>>;
  firstAt: number;
}

// How often due events are moved into batches; small against the default 20–100 ms delays.
const TICK_MS = 5;

/**
 * Creates an emitter. Events wait in one FIFO per delay: all events with the same delay are
 * scheduled in time order, so each FIFO stays sorted and scheduling is O(1) — no timer per event,
 * which matters at tens of thousands of statuses per second.
 */
export function createWebhookEmitter(deps: { settings: () => WebhookSettings; random: Random }): WebhookEmitter {
  const { settings, random } = deps;
  const poster = createWebhookPoster();
  const queues = new Map<number, { items: ScheduledEvent[]; head: number }>();
  const batches = new Map<string, Batch>();
  let scheduled = 0;
  let batched = 0;
  let timer: NodeJS.Timeout | undefined;

  const enqueue = (delay: number, event: ScheduledEvent) => {
    let queue = queues.get(delay);
    if (queue === undefined) {
      queue = { items: [], head: 0 };
      queues.set(delay, queue);
    }
    queue.items.push(event);
    scheduled++;
    if (timer === undefined) {
      timer = setInterval(tick, TICK_MS);
      timer.unref();
    }
  };

  const sendBatch = (key: string, batch: Batch) => {
    batches.delete(key);
    batched -= batch.items.length;
    const body = batch.clicks ? buildUserActionsBody(batch.channel, batch.items) : buildStatusesBody(batch.channel, batch.items);
    poster.post(batch.target, body, batch.items.length, settings());
  };

  const addToBatch = (event: ScheduledEvent, now: number, maxItems: number) => {
    const unixSeconds = Math.floor(Date.now() / 1000);
    const clicks = event.status === 'click';
    const item = clicks
      ? buildClickAction(unixSeconds, event.clickId ?? '', `sandbox.${event.clickId ?? ''}`)
      : buildStatus(event.message, event.status as StatusName, unixSeconds, event.priced === true);
    const key = `${event.message.channel.phoneNumberId}\u0000${clicks ? 'click' : 'status'}\u0000${event.target.url}`;
    let batch = batches.get(key);
    if (batch === undefined) {
      batch = { channel: event.message.channel, target: event.target, clicks, items: [], firstAt: now };
      batches.set(key, batch);
    }
    batch.items.push(item);
    batched++;
    if (batch.items.length >= maxItems) sendBatch(key, batch);
  };

  /** Moves events due by `limit` into batches, in due order across queues. */
  const moveDue = (limit: number, now: number) => {
    const due: ScheduledEvent[] = [];
    let sources = 0;
    for (const [delay, queue] of queues) {
      const before = due.length;
      while (queue.head < queue.items.length && queue.items[queue.head]!.due <= limit) due.push(queue.items[queue.head++]!);
      if (due.length > before) sources++;
      if (queue.head === queue.items.length) queues.delete(delay);
      else if (queue.head > 4096) {
        queue.items = queue.items.slice(queue.head);
        queue.head = 0;
      }
    }
    scheduled -= due.length;
    if (sources > 1) due.sort((a, b) => a.due - b.due);
    const maxItems = settings().batchMaxStatuses;
    for (const event of due) addToBatch(event, now, maxItems);
  };

  const clear = () => {
    poster.resetCounters();
    queues.clear();
    batches.clear();
    scheduled = 0;
    batched = 0;
  };

  function tick() {
    const now = performance.now();
    moveDue(now, now);
    const wait = settings().batchMaxWaitMs;
    for (const [key, batch] of batches) if (now - batch.firstAt >= wait) sendBatch(key, batch);
    if (scheduled === 0 && batches.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    schedule(input, now) {
      const s = settings();
      const message: WebhookMessage = {
        wamid: input.wamid,
        to: input.to,
        waId: input.waId,
        ...(input.userId === undefined ? {} : { userId: input.userId }),
        channel: input.channel,
        category: input.category,
        bizOpaqueCallbackData: input.bizOpaqueCallbackData,
        conversationId: randomHex(random, 32),
        ...(input.failure === undefined ? {} : { failure: input.failure }),
      };
      const push = (delay: number, status: ScheduledEvent['status'], clickId?: string, priced = false) => {
        const event: ScheduledEvent = { due: now + delay, status, message, target: input.target };
        if (clickId !== undefined) event.clickId = clickId;
        if (priced) event.priced = true;
        enqueue(delay, event);
        // Meta delivers at least once: a duplicate arrives in a later POST.
        if (status !== 'click' && s.duplicateRate > 0 && random() < s.duplicateRate) {
          const lag = s.batchMaxWaitMs + TICK_MS + 1;
          enqueue(delay + lag, { ...event, due: event.due + lag });
        }
      };
      if (input.failure !== undefined) {
        push(s.sentDelayMs, 'failed');
        return;
      }
      // Pricing rides on `sent` and on the first of delivered/read (WEBHOOK_SOURCES.pricing).
      push(s.sentDelayMs, 'sent', undefined, s.pricingOnSent);
      if (!(random() < s.readRate)) {
        push(s.deliveredDelayMs, 'delivered', undefined, true);
        return;
      }
      let readAt = Math.max(s.readDelayMs, s.deliveredDelayMs);
      if (s.outOfOrderRate > 0 && random() < s.outOfOrderRate) {
        // Read overtakes delivered, as receivers must expect (design: "read before delivered").
        readAt = s.deliveredDelayMs;
        push(readAt, 'read', undefined, true);
        push(Math.max(s.readDelayMs, readAt + 1), 'delivered');
      } else {
        push(s.deliveredDelayMs, 'delivered', undefined, true);
        push(readAt, 'read');
      }
      if (input.deliveredVia === 'lite' && random() < s.clickRate) {
        push(Math.max(s.clickDelayMs, readAt), 'click', randomHex(random, 16));
      }
    },
    sendNow(target, body) {
      poster.post(target, body, 1, settings());
    },
    async flush() {
      const now = performance.now();
      moveDue(Number.POSITIVE_INFINITY, now);
      for (const [key, batch] of [...batches]) sendBatch(key, batch);
      await poster.idle();
    },
    clear,
    get pending() {
      return scheduled + batched + poster.inFlightEvents;
    },
    get sent() {
      return poster.sent;
    },
    get events() {
      return poster.events;
    },
    get failures() {
      return poster.failures;
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      clear();
      poster.close();
    },
  };
}
