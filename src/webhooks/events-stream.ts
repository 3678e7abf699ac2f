/**
 * The durable log between the webhook endpoint (which only acknowledges) and the consumers (which
 * apply): one Redis Stream entry per received body, read by the `apply` consumer group. An entry
 * is XADDed before the endpoint answers 200 and is removed only once every group acknowledged it
 * (trim-acknowledged-1.lua), so an acknowledged webhook is never lost.
 */
import type { Keys } from '../shared/keys.ts';
import type { RedisClient as Redis } from '../shared/redis.ts';
import { defineScripts } from '../shared/redis-scripts.ts';
import type { WebhookJob } from './process-webhook.ts';

const SCRIPTS = { trimAcknowledged: new URL('./trim-acknowledged-1.lua', import.meta.url), addBodies: new URL('./add-bodies-1.lua', import.meta.url) };

/** One stream entry: its id and the body it carries. */
export type StreamEntry = { id: string; job: WebhookJob };

/** Field names of an entry: short, because every webhook body pays for them in memory. */
const FIELD = { body: 'b', receivedAt: 't', channelId: 'c' } as const;

/** The fields of an XADD for one body. */
export function encodeEntry(job: WebhookJob): string[] {
  const fields: string[] = [FIELD.body, job.body, FIELD.receivedAt, String(job.receivedAt)];
  if (job.channelId !== undefined) fields.push(FIELD.channelId, job.channelId);
  return fields;
}

/** An entry as XREADGROUP / XCLAIM / XAUTOCLAIM return it ([id, [field, value, …]]). */
export function decodeEntry(raw: [string, string[]]): StreamEntry {
  const [id, flat] = raw;
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  const channelId = fields[FIELD.channelId];
  return { id, job: { body: fields[FIELD.body] ?? '', receivedAt: Number(fields[FIELD.receivedAt] ?? 0), ...(channelId !== undefined ? { channelId } : {}) } };
}

/** Creates the stream's consumer group when it does not exist yet (from the stream's start, so nothing added before is skipped). */
export async function ensureGroup(redis: Redis, keys: Keys): Promise<void> {
  try {
    // ENTRIESREAD 0: the group starts at the stream's first entry, so its lag is known from the start.
    await redis.xgroup('CREATE', keys.webhookStream, keys.webhookGroup, '0', 'MKSTREAM', 'ENTRIESREAD', '0');
  } catch (error) {
    if (!/BUSYGROUP/.test((error as Error).message)) throw error;
  }
}

/** The webhook stream of a namespace, from the endpoint's side. */
export function createEventsStream(redis: Redis, keys: Keys) {
  const run = defineScripts(redis, SCRIPTS);
  // Bodies received in this turn of the event loop, appended together at its end (setImmediate).
  let waiting: Array<{ fields: string[]; resolve(id: string): void; reject(error: unknown): void }> = [];
  const flush = () => {
    const bodies = waiting;
    waiting = [];
    const args: string[] = [];
    for (const { fields } of bodies) args.push(String(fields.length), ...fields);
    run('addBodies', [keys.webhookStream], args).then(
      (ids) => bodies.forEach((body, i) => body.resolve(String((ids as string[])[i]))),
      (error: unknown) => bodies.forEach((body) => body.reject(error)),
    );
  };
  return {
    /**
     * Appends one body; resolves once Redis has it (then, and only then, may the endpoint answer
     * 200), and rejects when Redis could not take it. The bodies added in one turn of the event
     * loop go to Redis in one call (add-bodies-1.lua), so one-status POSTs cost one round trip per
     * turn, not one each.
     */
    add(job: WebhookJob): Promise<string> {
      return new Promise((resolve, reject) => {
        if (waiting.length === 0) setImmediate(flush);
        waiting.push({ fields: encodeEntry(job), resolve, reject });
      });
    },
    /** Entries in the stream (applied but not yet trimmed ones included). */
    async length(): Promise<number> {
      return redis.xlen(keys.webhookStream);
    },
    /** Entries read but not yet acknowledged, and entries not read by the group yet. */
    async depth(): Promise<{ pending: number; unread: number }> {
      const groups = (await redis.exists(keys.webhookStream)) ? ((await redis.xinfo('GROUPS', keys.webhookStream)) as unknown[][]) : [];
      const group = groups.map((g) => fieldsOf(g)).find((g) => g['name'] === keys.webhookGroup);
      if (!group) return { pending: 0, unread: await redis.xlen(keys.webhookStream) };
      const pending = Number(group['pending'] ?? 0);
      const lag = group['lag'];
      if (lag !== null && lag !== undefined) return { pending, unread: Number(lag) };
      // Redis cannot tell the lag (entries were deleted out of order): count what follows the last read, up to a bound.
      const after = await redis.xrange(keys.webhookStream, `(${String(group['last-delivered-id'])}`, '+', 'COUNT', 10_000);
      return { pending, unread: after.length };
    },
    /** Removes the entries every consumer group has acknowledged; returns how many. */
    async trim(): Promise<number> {
      return Number(await run('trimAcknowledged', [keys.webhookStream], []));
    },
    /** Nothing to release: the stream uses the caller's connection. */
    async close(): Promise<void> {},
  };
}

function fieldsOf(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

export type EventsStream = ReturnType<typeof createEventsStream>;
