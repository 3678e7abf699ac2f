/**
 * What applying the sandbox's real-shaped webhooks does (issue 16): opt-outs from every signal,
 * keyed on every identity a send response revealed; held sends counted apart; a template Meta
 * paused pauses its campaigns; clicks estimated per campaign; a holdout that 360dialog's smart
 * routing sent through MM flagged as contaminated. Webhooks travel over HTTP from the sandbox to
 * the API, and an in-process worker applies them.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.ts';
import { retryCampaign } from '../../src/producer/retry-campaign.ts';
import { clickTokenFor } from '../../src/shared/click-token.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createEventsStream } from '../../src/webhooks/events-stream.ts';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { waitFor } from '../support/wait-for.ts';

const TOKEN = 'effects-api-token-0123456789';
const WEBHOOK_SECRET = 'effects-hook-secret';
const auth = { authorization: `Bearer ${TOKEN}` };

let f: PipelineFixture;
let app: FastifyInstance;
let closeQueue: () => Promise<void>;

const BR_INPUT = '5511987654321';
const BR_WA_ID = '551187654321';
const MX_INPUT = '525512345678';
const MX_WA_ID = '5215512345678';
const STOP_TEXT = '447000000101';
const OPTED_OUT_131050 = '447700000102';
const PLAIN = '447000000103';

beforeAll(async () => {
  f = await createPipelineFixture({
    mps: 500,
    env: { LITECAST_API_TOKEN: TOKEN, LITECAST_WEBHOOK_SECRET: WEBHOOK_SECRET },
    sandboxConfig: {
      recipientErrors: [{ match: '4477*', code: 131050, async: true }],
      templates: [
        { name: 'litecast_promo', bodyParams: 1 },
        { name: 'paced_promo', bodyParams: 1, messageStatus: 'held_for_quality_assessment' },
      ],
    },
  });
  const eventsQueue = createEventsStream(f.ctx.redis, f.ctx.keys);
  closeQueue = () => eventsQueue.close();
  app = await buildApi({ ctx: f.ctx, events: eventsQueue, metrics: createMetrics(), limits: { uploadBytes: 1024 * 1024, jsonBodyBytes: 1024 * 1024 } });
  const apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  f.sandbox.configure({ webhook: { url: `${apiUrl}/webhooks/360dialog/main`, headers: { 'x-litecast-webhook-secret': WEBHOOK_SECRET }, readRate: 1, clickRate: 0.5 } });
  await f.startInProcessWorker();
});
afterAll(async () => {
  await app.close();
  await closeQueue();
  await f.close();
});

const csvOf = (phones: string[]) => ['phone,name', ...phones.map((p, i) => `${p},N${i}`)].join('\n');
const suppressed = async (phone: string) => (await f.ctx.redis.sismember(f.ctx.keys.channelSuppressed('main'), phone)) === 1;
type Report = {
  counts: Record<string, number>;
  state: string;
  reason?: string;
  funnel: Record<string, { sent: number; clicked: number | null; failed: number }>;
  comparison: { contamination: { viaLite: number; of: number; warning: string } | null } | null;
  contamination: { viaLite: number; of: number; warning: string } | null;
  clicks: { estimated: number; channelClicks: number; overlapping: number; method: string };
};
const report = async (id: string) => (await app.inject({ method: 'GET', url: `/v1/campaigns/${id}`, headers: auth })).json() as Report;

async function runCampaign(phones: string[], overrides: Record<string, unknown> = {}): Promise<string> {
  const id = await f.createCampaign(csvOf(phones), overrides);
  await f.waitForState(id, 'completed', 30_000);
  await f.sandbox.flushWebhooks();
  await waitFor(() => f.sandbox.stats().webhooksPending === 0, { what: 'sandbox webhooks delivered' });
  return id;
}

describe('opt-outs from every signal, on every identity', () => {
  it('user_preferences by wa_id, a Stop promotions tap, an inbound STOP and a 131050 failure suppress the input phones; resume lifts it', async () => {
    const first = await runCampaign([BR_INPUT, MX_INPUT, STOP_TEXT, OPTED_OUT_131050, PLAIN]);
    // The send responses taught the channel that the BR and MX inputs are known to Meta by other wa_ids.
    const identities = await f.ctx.redis.hgetall(f.ctx.keys.channelIdentities('main'));
    expect(identities).toMatchObject({ [`id:${BR_WA_ID}`]: BR_INPUT, [`id:${MX_WA_ID}`]: MX_INPUT });
    // 131050 arrived as a failed status webhook: the user had already stopped marketing.
    await waitFor(() => suppressed(OPTED_OUT_131050), { what: '131050 opt-out applied' });

    const mxWamid = f.sandbox.messages().find((m) => m.to === MX_INPUT && m.bizOpaqueCallbackData?.startsWith(`lc1:${first}:`))?.wamid;
    expect(mxWamid).toBeDefined();
    f.sandbox.emitUserPreference({ from: BR_WA_ID, value: 'stop' });
    f.sandbox.emitButtonReply({ from: MX_WA_ID, contextWamid: mxWamid as string });
    f.sandbox.emitInbound({ from: STOP_TEXT, text: 'STOP' });
    f.sandbox.emitInbound({ from: PLAIN, text: 'thanks!' });
    await f.sandbox.flushWebhooks();
    await waitFor(async () => (await suppressed(BR_INPUT)) && (await suppressed(MX_INPUT)) && (await suppressed(STOP_TEXT)), { what: 'opt-outs applied to the input phones' });
    expect(await suppressed(PLAIN)).toBe(false);

    const second = await runCampaign([BR_INPUT, MX_INPUT, STOP_TEXT, OPTED_OUT_131050, PLAIN]);
    expect(await f.ctx.campaigns.counts(second)).toMatchObject({ sent: 1, suppressed: 4 });

    // resume by the wa_id lifts the input phone too.
    f.sandbox.emitUserPreference({ from: BR_WA_ID, value: 'resume' });
    await f.sandbox.flushWebhooks();
    await waitFor(async () => !(await suppressed(BR_INPUT)), { what: 'resume applied' });
    const third = await runCampaign([BR_INPUT]);
    expect(await f.ctx.campaigns.counts(third)).toMatchObject({ sent: 1, suppressed: 0 });
  }, 90_000);

  it('a user_id-only opt-out from a BSUID channel suppresses the phone the user_id was learned for', async () => {
    const apiKey = 'effects-bsuid-key';
    f.sandbox.configure({ channels: [...f.sandbox.config.channels, { apiKey, mps: 500, bsuid: true }] });
    await f.ctx.channels.add({ id: 'bsuid', baseUrl: f.sandbox.url, apiKey, mps: 500 });
    const phone = '4915112345001';
    const id = await f.createCampaign(csvOf([phone]), { channelId: 'bsuid' });
    await f.waitForState(id, 'completed', 30_000);
    const userId = (await f.ctx.redis.hget(f.ctx.keys.channelIdentities('bsuid'), `al:${phone}`)) ?? '';
    expect(userId).toMatch(/^SB\./);
    // The sandbox posts this channel's webhooks to the main channel's URL; the API names the channel in its path.
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/360dialog/bsuid',
      headers: { 'content-type': 'application/json', 'x-litecast-webhook-secret': WEBHOOK_SECRET },
      payload: {
        object: 'whatsapp_business_account',
        entry: [{ id: 'waba', changes: [{ field: 'user_preferences', value: { messaging_product: 'whatsapp', user_preferences: [{ user_id: userId, category: 'marketing_messages', value: 'stop', timestamp: 1 }] } }] }],
      },
    });
    expect(res.statusCode).toBe(200);
    await waitFor(async () => (await f.ctx.redis.sismember(f.ctx.keys.channelSuppressed('bsuid'), phone)) === 1, { what: 'user_id opt-out applied to the phone' });
  }, 60_000);

  it('refuses a webhook for a channel that does not exist', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/360dialog/no-such-channel',
      headers: { 'content-type': 'application/json', 'x-litecast-webhook-secret': WEBHOOK_SECRET },
      payload: { object: 'whatsapp_business_account', entry: [] },
    });
    expect(res.statusCode).toBe(404);
    expect(await f.ctx.redis.exists(f.ctx.keys.channelSuppressed('no-such-channel'))).toBe(0);
  });
});

describe('held sends and paused templates', () => {
  it('counts held_for_quality_assessment answers apart from the sends', async () => {
    const id = await runCampaign(['447000000201', '447000000202'], { template: { name: 'paced_promo', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] }] } });
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ sent: 2, held: 2 });
    expect((await report(id)).counts.held).toBe(2);
  }, 60_000);

  it("pauses the scheduled and running campaigns on a template Meta paused, with Meta's reason", async () => {
    const later = Date.now() + 3_600_000;
    const onTemplate = await f.createCampaign(csvOf(['447000000301']), { startAt: later });
    const other = await f.createCampaign(csvOf(['447000000302']), { startAt: later, template: { name: 'paced_promo', language: 'en', components: [] } });
    f.sandbox.emitTemplateStatus({ name: 'litecast_promo', event: 'PAUSED', reason: 'LOW_QUALITY' });
    await f.waitForState(onTemplate, 'paused', 20_000);
    expect((await f.ctx.campaigns.get(onTemplate))?.reason).toBe('template litecast_promo (en) PAUSED by Meta: LOW_QUALITY');
    expect((await f.ctx.campaigns.get(other))?.state).toBe('scheduled');
    // Back to normal for the other tests: the template is approved again.
    f.sandbox.emitTemplateStatus({ name: 'litecast_promo', event: 'APPROVED' });
    await f.sandbox.flushWebhooks();
    await f.ctx.campaigns.transition(onTemplate, 'cancel');
    await f.ctx.campaigns.transition(other, 'cancel');
  }, 60_000);
});

describe('clicks and the holdout', () => {
  it('estimates clicks per campaign from the channel clicks, and flags a holdout that smart routing sent through MM', async () => {
    const phones = Array.from({ length: 40 }, (_, i) => `44710000${String(i).padStart(4, '0')}`);
    const id = await runCampaign(phones, { route: 'split', cloudShare: 50 });
    const r = await waitFor(async () => {
      const current = await report(id);
      return current.contamination?.viaLite === current.funnel.cloud?.sent && current.clicks.estimated > 0 ? current : undefined;
    }, { what: 'contamination and clicks reported' });
    expect(r.funnel.cloud?.sent).toBeGreaterThan(0);
    // Every holdout message went to /messages, and the sandbox (like 360dialog) routed it through MM.
    expect(r.contamination).toMatchObject({ viaLite: r.funnel.cloud?.sent, of: r.funnel.cloud?.sent, warning: expect.stringContaining('contaminated') });
    expect(r.comparison?.contamination).toEqual(r.contamination);
    expect(r.counts.clicked).toBe(Math.round(r.clicks.estimated));
    expect(r.funnel.lite?.clicked).toBe(r.counts.clicked);
    expect(r.clicks.method).toMatch(/MM Lite clicks on the channel/);
  }, 60_000);
});

describe('product_policy STRICT for the MM group', () => {
  it('goes on the MM Lite sends of a split campaign, never on its Cloud API holdout', async () => {
    const phones = Array.from({ length: 20 }, (_, i) => `44720000${String(i).padStart(4, '0')}`);
    const id = await runCampaign(phones, { route: 'split', cloudShare: 30, productPolicy: 'STRICT' });
    expect((await f.ctx.campaigns.get(id))?.productPolicy).toBe('STRICT');
    const sent = f.sandbox.messages().filter((m) => m.bizOpaqueCallbackData?.startsWith(`lc1:${id}:`));
    expect(sent).toHaveLength(20);
    for (const message of sent) {
      const policy = (message.payload as { product_policy?: string } | undefined)?.product_policy;
      expect(policy).toBe(message.route === 'lite' ? 'STRICT' : undefined);
    }
    expect(sent.some((m) => m.route === 'cloud')).toBe(true);
  }, 60_000);
});

describe('TTL on fallbacks', () => {
  it('keeps the payload TTL on MM Lite sends and counts the fallbacks to the Cloud API that dropped it', async () => {
    f.sandbox.configure({ liteIneligibleRecipients: ['4473*'] });
    try {
      const phones = ['447300000001', '447300000002', '447400000003'];
      const id = await runCampaign(phones, { ttlSeconds: 86_400 });
      expect(await f.ctx.campaigns.counts(id)).toMatchObject({ sent: 3, fallbacks: 2, ttlDropped: 2 });
      const sent = f.sandbox.messages().filter((m) => m.bizOpaqueCallbackData?.startsWith(`lc1:${id}:`));
      const ttlOf = (m: (typeof sent)[number]) => (m.payload as { message_send_ttl_seconds?: number } | undefined)?.message_send_ttl_seconds;
      expect(sent.filter((m) => m.route === 'lite').map(ttlOf)).toEqual([86_400]);
      expect(sent.filter((m) => m.route === 'cloud').map(ttlOf)).toEqual([undefined, undefined]);
    } finally {
      f.sandbox.configure({ liteIneligibleRecipients: [] });
    }
  }, 60_000);
});

describe('131049 retries', () => {
  it('takes 131049 failures from webhooks, waits 24 h after each failure, and skips US numbers', async () => {
    f.sandbox.configure({ recipientErrors: [{ match: '447800*', code: 131049, async: true }, { match: '1212*', code: 131049, async: true }] });
    try {
      const capped = '447800000001';
      const us = '12125550123';
      const id = await runCampaign([capped, us, '447000000401']);
      await waitFor(async () => (await f.ctx.campaigns.counts(id)).delivered === 1 && (await report(id)).funnel.lite?.sent === 3, { what: 'deliveries applied' });
      await waitFor(async () => Object.keys(await f.ctx.redis.hgetall(f.ctx.keys.campaignEvents(id))).length === 3, { what: 'failed webhooks applied' });
      const before = Date.now();
      const early = await retryCampaign(f.ctx, id, { now: before });
      expect(early).toMatchObject({ requeued: 0, skippedUs: 1, waiting: { count: 1, recipients: [{ phone: capped, eligibleAt: expect.any(String) }] } });
      const eligibleAt = Date.parse(early.waiting?.recipients[0]?.eligibleAt ?? '');
      expect(eligibleAt - before).toBeGreaterThan(23.9 * 3_600_000);
      expect(eligibleAt - before).toBeLessThanOrEqual(24 * 3_600_000);

      // A day later: the capped recipient goes out again; the US number never does.
      const later = await retryCampaign(f.ctx, id, { now: eligibleAt + 1 });
      expect(later).toMatchObject({ requeued: 1, skippedUs: 1 });
      expect(later.waiting).toBeUndefined();
      await f.waitForState(id, 'completed', 30_000);
      expect(f.sandbox.messages().filter((m) => m.to === capped && m.bizOpaqueCallbackData?.startsWith(`lc1:${id}:`))).toHaveLength(2);
      expect(f.sandbox.messages().filter((m) => m.to === us && m.bizOpaqueCallbackData?.startsWith(`lc1:${id}:`))).toHaveLength(1);
      expect(await f.ctx.campaigns.counts(id)).toMatchObject({ total: 3, sent: 3, pending: 0 });
      // The resend's own failed webhook counts afresh: one 131049 failure per recipient in the funnel.
      await f.sandbox.flushWebhooks();
      await waitFor(async () => (await report(id)).funnel.lite?.failed === 2, { what: 'the resend failure applied once' });
    } finally {
      f.sandbox.configure({ recipientErrors: [{ match: '4477*', code: 131050, async: true }] });
    }
  }, 90_000);
});

describe('per-recipient click token', () => {
  it('fills {{click_token}} in a URL button per recipient without a recipient column', async () => {
    const components = [
      { type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '{{click_token}}' }] },
    ];
    const phones = ['447000000501', '447000000502'];
    const id = await runCampaign(phones, { template: { name: 'litecast_promo', language: 'en', components } });
    expect(await f.ctx.campaigns.counts(id)).toMatchObject({ sent: 2, skipped: 0 });
    for (const phone of phones) {
      const message = f.sandbox.messages().find((m) => m.to === phone && m.bizOpaqueCallbackData?.startsWith(`lc1:${id}:`));
      const sentComponents = (message?.payload as { template: { components: Array<{ type: string; parameters: Array<{ text: string }> }> } }).template.components;
      expect(sentComponents.find((c) => c.type === 'button')?.parameters[0]?.text).toBe(clickTokenFor(id, phone));
    }
    expect(clickTokenFor(id, phones[0] as string)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(clickTokenFor(id, phones[0] as string)).not.toBe(clickTokenFor(id, phones[1] as string));
  }, 60_000);
});
