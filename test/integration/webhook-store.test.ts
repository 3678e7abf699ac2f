/**
 * apply-events-3.lua through the webhook store against real Redis, and a status webhook that turns
 * an `unknown` recipient into `sent` through the ledger.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeCallbackData } from '../../src/dialog360/callback-data.ts';
import { createLedger } from '../../src/ledger/ledger.ts';
import { buildStatus, buildStatusesBody, type WebhookChannel } from '../../src/sandbox/webhook-payloads.ts';
import { createCampaignStore } from '../../src/shared/campaign-store.ts';
import { createKeys } from '../../src/shared/keys.ts';
import { createRedis } from '../../src/shared/redis.ts';
import { processWebhook, processWebhooks } from '../../src/webhooks/process-webhook.ts';
import { createWebhookStore } from '../../src/webhooks/webhook-store.ts';
import { REDIS_URL, dropNamespace, testConfig } from '../support/test-env.ts';

const redis = createRedis(REDIS_URL);
const namespaces: string[] = [];
afterEach(async () => {
  await Promise.all(namespaces.splice(0).map((ns) => dropNamespace(ns)));
});
afterAll(() => redis.disconnect());

const C = 'c1';
const P = '4410000000';
const channel: WebhookChannel = { phoneNumberId: 'pn1', displayPhoneNumber: '15550000000', wabaId: 'waba1' };

/** A running campaign with two recipients, intake done. */
async function setup() {
  const { namespace } = testConfig();
  namespaces.push(namespace);
  const keys = createKeys(namespace);
  const campaigns = createCampaignStore(redis, keys);
  await campaigns.create({ id: C, channelId: 'ch', template: { name: 't', language: 'en', components: [] }, route: 'lite', startAt: 1, batchSize: 10, createdAt: 1 });
  await campaigns.storeBatch(C, 0, [{ p: P, l: 2, f: {} }, { p: '4420000000', l: 3, f: {} }], []);
  await campaigns.markIntakeDone(C, 1);
  await campaigns.transition(C, 'start');
  const funnel = async () => Object.fromEntries(Object.entries(await redis.hgetall(keys.campaignFunnel(C))).filter(([k]) => !k.includes(':lat:')));
  return { keys, campaigns, ledger: createLedger(redis, keys), store: createWebhookStore(redis, keys), funnel };
}

describe('apply-events-3.lua (webhook store)', () => {
  it('counts each status once whatever the order, in the group of the send', async () => {
    const t = await setup();
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'sent', route: 'cloud', wamid: 'w1', fellBack: true, fallbackCode: '131055', acceptedAt: 1_000 });
    expect(await t.store.apply(C, P, 'read', { receivedAt: 3_000 })).toBe('OK');
    expect(await t.store.apply(C, P, 'delivered', { receivedAt: 2_000 })).toBe('DUP');
    expect(await t.store.apply(C, P, 'read', { receivedAt: 3_000 })).toBe('DUP');
    expect(await t.store.apply(C, P, 'failed', { receivedAt: 4_000, errorCode: '131047' })).toBe('OK');
    expect(await t.campaigns.counts(C)).toMatchObject({ delivered: 1, read: 1 });
    expect(await t.funnel()).toEqual({ 'fallback:delivered': '1', 'fallback:read': '1', 'fallback:failed': '1', 'fallback:failed:131047': '1' });
    expect(JSON.parse((await redis.hget(t.keys.campaignEvents(C), P)) ?? '{}')).toEqual({ g: 'fallback', d: 3_000, r: 3_000, f: '131047', ft: 4_000, b: 34 });
  });

  it('puts a lite send that Meta priced as marketing in liteViaCloud, and clicks count once', async () => {
    const t = await setup();
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'sent', route: 'lite', wamid: 'w1', fellBack: false, acceptedAt: 1_000 });
    expect(await t.store.apply(C, P, 'delivered', { receivedAt: 2_000, category: 'marketing' })).toBe('OK');
    expect(await t.store.apply(C, P, 'click', { receivedAt: 2_500 })).toBe('OK');
    expect(await t.store.apply(C, P, 'click', { receivedAt: 2_600 })).toBe('DUP');
    expect(await t.funnel()).toEqual({ 'liteViaCloud:sent': '1', 'liteViaCloud:delivered': '1', 'liteViaCloud:clicked': '1' });
    expect(await t.campaigns.counts(C)).toMatchObject({ delivered: 1, clicked: 1 });
  });

  it('settles the group by the first event that carries pricing, moving what earlier events counted', async () => {
    const t = await setup();
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'sent', route: 'lite', wamid: 'w1', fellBack: false, acceptedAt: 1_000 });
    // delivered without pricing (Meta priced the read instead): provisionally the route sent to.
    expect(await t.store.apply(C, P, 'delivered', { receivedAt: 2_000 })).toBe('OK');
    expect(await t.funnel()).toEqual({ 'lite:delivered': '1' });
    expect(await t.store.apply(C, P, 'read', { receivedAt: 3_000, category: 'marketing' })).toBe('OK');
    expect(await t.funnel()).toEqual({ 'lite:delivered': '0', 'liteViaCloud:sent': '1', 'liteViaCloud:delivered': '1', 'liteViaCloud:read': '1' });
    const latency = Object.entries(await redis.hgetall(t.keys.campaignFunnel(C))).filter(([k, v]) => k.includes(':lat:') && v !== '0').map(([k]) => k.split(':')[0]);
    expect(latency).toEqual(['liteViaCloud']);
    // A later priced event changes nothing.
    expect(await t.store.apply(C, P, 'sent', { receivedAt: 3_500, category: 'marketing_lite' })).toBe('DUP');
  });

  it('counts a Cloud API send that Meta priced marketing_lite as a contaminated holdout', async () => {
    const t = await setup();
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'sent', route: 'cloud', wamid: 'w1', fellBack: false, acceptedAt: 1_000 });
    expect(await t.store.apply(C, P, 'sent', { receivedAt: 1_500, category: 'marketing_lite' })).toBe('OK');
    expect(await t.store.apply(C, P, 'delivered', { receivedAt: 2_000, category: 'marketing_lite' })).toBe('OK');
    expect(await t.funnel()).toEqual({ 'cloud:viaLite': '1', 'cloud:delivered': '1' });
  });

  it('a claim is NOT_YET (the commit has not landed); nothing sent is NO_SEND', async () => {
    const t = await setup();
    await t.ledger.claim(C, P, 'a');
    expect(await t.store.apply(C, P, 'delivered', { receivedAt: 2_000 })).toBe('NOT_YET');
    expect(await t.store.apply(C, '4420000000', 'delivered', { receivedAt: 2_000 })).toBe('NO_SEND');
    await t.ledger.commit(C, P, 'a', { outcome: 'failed', code: '131026', verdictClass: 'recipient' });
    expect(await t.store.apply(C, P, 'delivered', { receivedAt: 2_000 })).toBe('NO_SEND');
  });
});

describe('applyMany: a batch of statuses for one campaign', () => {
  it('applies them in order with one ledger read, and answers per event whatever each send state is', async () => {
    const t = await setup();
    const Q = '4420000000';
    const U = '4430000000';
    const N = '4440000000';
    await t.campaigns.storeBatch(C, 1, [{ p: U, l: 4, f: {} }, { p: N, l: 5, f: {} }], []);
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'sent', route: 'lite', wamid: 'w1', fellBack: false, acceptedAt: 1_000 });
    await t.ledger.claim(C, Q, 'b');
    await t.ledger.claim(C, U, 'c');
    await t.ledger.commit(C, U, 'c', { outcome: 'unknown', code: 'TIMEOUT' });

    const results = await t.store.applyMany(C, [
      { phone: P, kind: 'read', receivedAt: 3_000 },
      { phone: Q, kind: 'delivered', receivedAt: 2_000 },
      { phone: P, kind: 'delivered', receivedAt: 2_000 },
      { phone: U, kind: 'delivered', receivedAt: 2_500, category: 'marketing_lite', wamid: 'w3' },
      { phone: N, kind: 'delivered', receivedAt: 2_000 },
      { phone: P, kind: 'read', receivedAt: 3_000 },
    ]);
    // P: read counts delivered too, so the later delivered and the repeated read are duplicates.
    expect(results).toEqual(['OK', 'NOT_YET', 'DUP', 'OK', 'NO_SEND', 'DUP']);
    expect(await t.campaigns.counts(C)).toMatchObject({ delivered: 2, read: 1, sent: 2, unknown: 0 });
    expect(await t.funnel()).toMatchObject({ 'lite:delivered': '2', 'lite:read': '1' });
    expect((await t.ledger.entries(C, [U]))[0]).toMatchObject({ state: 'sent', route: 'lite' });
  });
});

describe('processWebhooks: a batch of bodies', () => {
  it("charges a campaign's failure to that campaign's bodies only; the others are applied once", async () => {
    const t = await setup();
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'sent', route: 'lite', wamid: 'w1', fellBack: false, acceptedAt: 1_000 });
    // Campaign `broken`'s ledger is not a hash: reading it fails, as Redis failing would.
    await redis.set(t.keys.campaignLedger('broken'), 'x');
    const status = (phone: string, campaign: string | undefined, wamid: string) =>
      JSON.stringify(
        buildStatusesBody(channel, [
          buildStatus({ wamid, to: phone, waId: phone, channel, category: 'marketing_lite', bizOpaqueCallbackData: campaign ? encodeCallbackData(campaign, phone) : undefined, conversationId: 'c' }, 'delivered', 1_700_000_000, true),
        ]),
      );
    const outcomes = await processWebhooks(
      t.store,
      [
        { body: status(P, C, 'w1'), receivedAt: 2_000 },
        { body: status('4490000000', 'broken', 'w2'), receivedAt: 2_000 },
        { body: status('4491000000', undefined, 'wamid.nobody'), receivedAt: 2_000 },
      ],
      async () => undefined,
    );
    expect(outcomes[0]).toMatchObject({ applied: 1, unmatched: 0 });
    expect(outcomes[1]).toMatchObject({ error: expect.any(Error) });
    expect(outcomes[2]).toMatchObject({ applied: 0, unmatched: 1 });
    expect(await t.campaigns.counts(C)).toMatchObject({ delivered: 1 });
    expect(await redis.hget(t.keys.webhookStats, 'unmatched:no-campaign')).toBe('1');
  });
});

describe('a status webhook for an unknown recipient', () => {
  it('turns it into sent (route from the pricing category), moves the counters and applies the status', async () => {
    const t = await setup();
    // The worker's POST timed out: the recipient is unknown, counted under TIMEOUT.
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'unknown', code: 'TIMEOUT' });
    expect(await t.campaigns.counts(C)).toMatchObject({ pending: 1, unknown: 1, sent: 0 });
    expect(await t.campaigns.errors(C)).toEqual({ TIMEOUT: 1 });

    const message = { wamid: 'wamid.late', to: P, waId: P, channel, category: 'marketing_lite' as const, bizOpaqueCallbackData: encodeCallbackData(C, P), conversationId: 'conv1' };
    const body = JSON.stringify(buildStatusesBody(channel, [buildStatus(message, 'delivered', 1_700_000_000, true)]));
    const outcome = await processWebhook(t.store, { body, receivedAt: 1_700_000_000_000 }, async () => undefined);

    expect(outcome).toMatchObject({ applied: 1, unmatched: 0, notYet: 0 });
    expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'sent', route: 'lite', wamid: 'wamid.late', fellBack: false, acceptedAt: 1_700_000_000_000 }]);
    expect(await t.campaigns.counts(C)).toMatchObject({ pending: 1, unknown: 0, sent: 1, sentLite: 1, delivered: 1 });
    expect(await t.campaigns.errors(C)).toEqual({ TIMEOUT: 0 });
    expect(await t.funnel()).toEqual({ 'lite:delivered': '1' });
    // The same status again is a duplicate: nothing moves twice.
    expect(await processWebhook(t.store, { body, receivedAt: 1_700_000_000_000 }, async () => undefined)).toMatchObject({ applied: 0, duplicates: 1 });
    expect(await t.campaigns.counts(C)).toMatchObject({ unknown: 0, sent: 1, delivered: 1 });
  });

  it('without pricing on the status, takes the route the campaign sent it to; the first priced event settles the group', async () => {
    const t = await setup();
    await t.ledger.claim(C, P, 'a');
    await t.ledger.commit(C, P, 'a', { outcome: 'unknown', code: 'TIMEOUT' });
    const message = { wamid: 'wamid.late', to: P, waId: P, channel, category: 'marketing' as const, bizOpaqueCallbackData: encodeCallbackData(C, P), conversationId: 'conv1' };
    const unpriced = JSON.stringify(buildStatusesBody(channel, [buildStatus(message, 'delivered', 1_700_000_000, false)]));
    expect(await processWebhook(t.store, { body: unpriced, receivedAt: 1_700_000_000_000 }, async () => undefined)).toMatchObject({ applied: 1 });
    // The campaign's route is lite: not the old default of cloud.
    expect(await t.ledger.entries(C, [P])).toEqual([{ state: 'sent', route: 'lite', wamid: 'wamid.late', fellBack: false, acceptedAt: 1_700_000_000_000 }]);
    const priced = JSON.stringify(buildStatusesBody(channel, [buildStatus(message, 'read', 1_700_000_001, true)]));
    await processWebhook(t.store, { body: priced, receivedAt: 1_700_000_001_000 }, async () => undefined);
    expect(await t.funnel()).toMatchObject({ 'liteViaCloud:sent': '1', 'liteViaCloud:delivered': '1', 'liteViaCloud:read': '1', 'lite:delivered': '0' });
  });
});
