/**
 * The webhook stream: trim-acknowledged-1.lua against real Redis, the consumer group applying
 * bodies (not-yet bodies retried, nothing acknowledged before it is applied), and a consumer
 * process killed mid-batch whose bodies another consumer takes over with nothing lost or counted
 * twice.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { encodeCallbackData } from '../../src/dialog360/callback-data.ts';
import { createLedger } from '../../src/ledger/ledger.ts';
import { buildStatus, buildStatusesBody, type StatusName, type WebhookChannel } from '../../src/sandbox/webhook-payloads.ts';
import { createCampaignStore } from '../../src/shared/campaign-store.ts';
import { createKeys, type Keys } from '../../src/shared/keys.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createRedis } from '../../src/shared/redis.ts';
import { createEventsConsumer, type EventsConsumer } from '../../src/webhooks/events-consumer.ts';
import { createEventsStream, ensureGroup } from '../../src/webhooks/events-stream.ts';
import { createWebhookStore } from '../../src/webhooks/webhook-store.ts';
import { startLitecast } from '../support/spawn-litecast.ts';
import { REDIS_URL, childEnv, dropNamespace, testConfig } from '../support/test-env.ts';
import { waitFor } from '../support/wait-for.ts';

const redis = createRedis(REDIS_URL);
const fast = createRedis(REDIS_URL, 'command', { enableAutoPipelining: true });
const namespaces: string[] = [];
const consumers: EventsConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.close()));
  await Promise.all(namespaces.splice(0).map((ns) => dropNamespace(ns)));
});
afterAll(() => {
  redis.disconnect();
  fast.disconnect();
});

const C = 'c1';
const channel: WebhookChannel = { phoneNumberId: 'pn1', displayPhoneNumber: '15550000000', wabaId: 'waba1' };
const phoneOf = (i: number) => String(4_410_000_000 + i);

/** A running campaign of `n` recipients, `sent` ones committed through the ledger (the rest only claimed). */
async function setup(n: number, sent = n) {
  const config = testConfig();
  namespaces.push(config.namespace);
  const keys = createKeys(config.namespace);
  const campaigns = createCampaignStore(redis, keys);
  const ledger = createLedger(redis, keys);
  await campaigns.create({ id: C, channelId: 'ch', template: { name: 't', language: 'en', components: [] }, route: 'lite', startAt: 1, batchSize: n, createdAt: 1 });
  if (n > 0) await campaigns.storeBatch(C, 0, Array.from({ length: n }, (_, i) => ({ p: phoneOf(i), l: i + 2, f: {} })), []);
  if (n > 0) {
    await campaigns.markIntakeDone(C, n);
    await campaigns.transition(C, 'start');
  }
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await ledger.claim(C, phoneOf(i), `k${i}`);
      if (i < sent) await ledger.commit(C, phoneOf(i), `k${i}`, { outcome: 'sent', route: 'lite', wamid: `w${i}`, fellBack: false, acceptedAt: 1_000 });
    }),
  );
  return { config, keys, campaigns, ledger, stream: createEventsStream(redis, keys) };
}

/** One status per body, as 360dialog posts them under real traffic. */
function statusBody(i: number, status: StatusName): string {
  const message = { wamid: `w${i}`, to: phoneOf(i), waId: phoneOf(i), channel, category: 'marketing_lite' as const, bizOpaqueCallbackData: encodeCallbackData(C, phoneOf(i)), conversationId: 'x' };
  return JSON.stringify(buildStatusesBody(channel, [buildStatus(message, status, 1_700_000_000, status === 'sent')]));
}

function startConsumer(keys: Keys, extra: { claimIdleMs?: number; retryBaseMs?: number; maxAttempts?: number; consumerName?: string } = {}): EventsConsumer {
  const consumer = createEventsConsumer({
    redis: fast,
    keys,
    webhooks: createWebhookStore(fast, keys),
    channels: { list: async () => [] },
    metrics: createMetrics(),
    logger: pino({ level: 'silent' }),
    claimIdleMs: extra.claimIdleMs ?? 10_000,
    blockMs: 200,
    ...extra,
  });
  consumers.push(consumer);
  return consumer;
}

describe('add-bodies-1.lua (events stream add)', () => {
  it('appends the bodies of one event-loop turn in one call, in order, each with its own id', async () => {
    const t = await setup(0);
    // Its own connection, whose commands are counted as they are sent.
    const own = createRedis(REDIS_URL);
    await own.ping();
    const sent: string[] = [];
    const send = own.sendCommand.bind(own);
    own.sendCommand = ((command: { name: string }) => {
      sent.push(command.name);
      return send(command as Parameters<typeof send>[0]);
    }) as typeof own.sendCommand;
    const stream = createEventsStream(own, t.keys);
    const ids = await Promise.all([
      stream.add({ body: '{"a":1}', receivedAt: 1 }),
      stream.add({ body: '{"a":2}', receivedAt: 2, channelId: 'ch' }),
      stream.add({ body: '{"a":3}', receivedAt: 3 }),
    ]);
    own.disconnect();
    expect(sent).toEqual(['evalsha']);
    expect(new Set(ids).size).toBe(3);
    const entries = await redis.xrange(t.keys.webhookStream, '-', '+');
    expect(entries.map(([id]) => id)).toEqual(ids);
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['b', '{"a":1}', 't', '1'],
      ['b', '{"a":2}', 't', '2', 'c', 'ch'],
      ['b', '{"a":3}', 't', '3'],
    ]);
  });

  it('rejects every body of the turn when Redis cannot take them (the endpoint then answers 503)', async () => {
    const t = await setup(0);
    // A key of another type where the stream should be: XADD fails inside the script.
    await redis.set(t.keys.webhookStream, 'not a stream');
    const results = await Promise.allSettled([t.stream.add({ body: '{}', receivedAt: 1 }), t.stream.add({ body: '{}', receivedAt: 2 })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('trim-acknowledged-1.lua', () => {
  it('removes only entries every group acknowledged, never unread or pending ones', async () => {
    const { keys, stream } = await setup(0);
    expect(await stream.trim()).toBe(0); // no stream yet
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await stream.add({ body: `{"n":${i}}`, receivedAt: i }));
    expect(await stream.trim()).toBe(0); // no group: nothing was acknowledged
    await ensureGroup(redis, keys);
    await redis.xgroup('CREATE', keys.webhookStream, 'other', '0');
    // `apply` reads 6 and acknowledges 0..1 and 3..5; entry 2 stays pending.
    await redis.xreadgroup('GROUP', keys.webhookGroup, 'a', 'COUNT', 6, 'STREAMS', keys.webhookStream, '>');
    await redis.xack(keys.webhookStream, keys.webhookGroup, ids[0] as string, ids[1] as string, ids[3] as string, ids[4] as string, ids[5] as string);
    // `other` read 4 and acknowledged them all: the lowest bound is apply's pending entry 2.
    await redis.xreadgroup('GROUP', 'other', 'b', 'COUNT', 4, 'STREAMS', keys.webhookStream, '>');
    await redis.xack(keys.webhookStream, 'other', ...ids.slice(0, 4));
    expect(await stream.trim()).toBe(2);
    expect((await redis.xrange(keys.webhookStream, '-', '+')).map(([id]) => id)).toEqual(ids.slice(2));
    // Entry 2 acknowledged: `other` (read up to 3, nothing pending) is now the bound.
    await redis.xack(keys.webhookStream, keys.webhookGroup, ids[2] as string);
    expect(await stream.trim()).toBe(2);
    expect((await redis.xrange(keys.webhookStream, '-', '+')).map(([id]) => id)).toEqual(ids.slice(4));
    await redis.xgroup('DESTROY', keys.webhookStream, 'other');
    // Only `apply` now: read up to 5, nothing pending; 6..9 were never read and stay.
    expect(await stream.trim()).toBe(2);
    expect((await redis.xrange(keys.webhookStream, '-', '+')).map(([id]) => id)).toEqual(ids.slice(6));
    expect(await stream.depth()).toEqual({ pending: 0, unread: 4 });
  });
});

describe('the events consumer', () => {
  it('applies bodies in batches, acknowledges them, and counts a redelivered body once', async () => {
    const t = await setup(50);
    for (let i = 0; i < 50; i++) await t.stream.add({ body: statusBody(i, 'delivered'), receivedAt: Date.now() });
    // The same statuses again, as 360dialog retries a webhook it did not see acknowledged.
    for (let i = 0; i < 50; i++) await t.stream.add({ body: statusBody(i, 'delivered'), receivedAt: Date.now() });
    const consumer = startConsumer(t.keys, {});
    await consumer.ready();
    await waitFor(async () => {
      const d = await t.stream.depth();
      return d.pending + d.unread === 0;
    }, { what: 'stream drained' });
    expect(await t.campaigns.counts(C)).toMatchObject({ sent: 50, delivered: 50 });
  });

  it('retries a body whose send has not committed yet, then applies it once the commit lands', async () => {
    const t = await setup(2, 1);
    await t.stream.add({ body: statusBody(1, 'delivered'), receivedAt: Date.now() });
    await t.stream.add({ body: statusBody(0, 'delivered'), receivedAt: Date.now() });
    startConsumer(t.keys, { retryBaseMs: 50 });
    await waitFor(async () => (await t.campaigns.counts(C)).delivered === 1, { what: 'the committed one applied' });
    expect((await t.stream.depth()).pending).toBe(1); // the other waits for its commit
    await t.ledger.commit(C, phoneOf(1), 'k1', { outcome: 'sent', route: 'lite', wamid: 'w1', fellBack: false, acceptedAt: 1_000 });
    await waitFor(async () => (await t.campaigns.counts(C)).delivered === 2, { what: 'the late one applied' });
    await waitFor(async () => (await t.stream.depth()).pending === 0, { what: 'acknowledged' });
  });

  it('keeps a body whose send never commits as unmatched after its attempts, and acknowledges it', async () => {
    const t = await setup(1, 0);
    await t.stream.add({ body: statusBody(0, 'delivered'), receivedAt: Date.now() });
    startConsumer(t.keys, { retryBaseMs: 10, maxAttempts: 3 });
    await waitFor(async () => (await redis.hget(t.keys.webhookStats, 'unmatched:not-committed')) === '1', { what: 'kept as not-committed' });
    await waitFor(async () => (await t.stream.depth()).pending === 0, { what: 'acknowledged' });
  });
});

describe('a consumer killed mid-batch', () => {
  it('loses nothing and counts nothing twice: another consumer takes its bodies over', async () => {
    const n = 1_500;
    const t = await setup(n);
    // Three statuses per recipient, one per POST: 4,500 bodies, queued before any consumer runs.
    for (const status of ['sent', 'delivered', 'read'] as const) {
      const pipeline = redis.pipeline();
      for (let i = 0; i < n; i++) pipeline.xadd(t.keys.webhookStream, '*', 'b', statusBody(i, status), 't', String(Date.now()));
      await pipeline.exec();
    }
    await ensureGroup(redis, t.keys);
    const worker = await startLitecast(['worker'], childEnv(t.config, { LITECAST_WEBHOOK_CLAIM_IDLE_MS: '60000' }), 'worker ready');
    // Kill it once it has applied some but not all, while it holds a batch read and not
    // acknowledged: freeze it (SIGSTOP) and look; between two batches, let it run and look again.
    await waitFor(async () => (await t.campaigns.counts(C)).delivered > 0, { what: 'the child applying', intervalMs: 5 });
    await waitFor(
      async () => {
        worker.child.kill('SIGSTOP');
        const [held] = (await redis.xpending(t.keys.webhookStream, t.keys.webhookGroup)) as [number];
        if (held > 0) return true;
        worker.child.kill('SIGCONT');
        return false;
      },
      { what: 'the child frozen holding an unacknowledged batch', intervalMs: 2 },
    );
    worker.child.kill('SIGKILL');
    await worker.exited;
    const [pendingAtKill] = (await redis.xpending(t.keys.webhookStream, t.keys.webhookGroup)) as [number];
    const countsAtKill = await t.campaigns.counts(C);
    expect(pendingAtKill).toBeGreaterThan(0);
    expect(countsAtKill.read ?? 0).toBeLessThan(n);

    // A consumer in this process takes over what the dead one held (claim idle 300 ms) and the rest.
    startConsumer(t.keys, { claimIdleMs: 300 });
    await waitFor(async () => ((await t.campaigns.counts(C)).read ?? 0) >= n, { what: 'every read applied', timeoutMs: 60_000 });
    await waitFor(async () => {
      const d = await t.stream.depth();
      return d.pending + d.unread === 0;
    }, { what: 'stream drained', timeoutMs: 30_000 });
    expect(await t.campaigns.counts(C)).toMatchObject({ sent: n, delivered: n, read: n });
    const funnel = await redis.hgetall(t.keys.campaignFunnel(C));
    expect({ delivered: funnel['lite:delivered'], read: funnel['lite:read'] }).toEqual({ delivered: String(n), read: String(n) });
  }, 120_000);
});
