/**
 * The sandbox's real-API behaviours (whatsapp-api.md §9, sourced in src/sandbox/fixtures) through
 * the 360dialog client over HTTP: what the client parses and how each answer is classified, the
 * template listing and preflight, webhook configuration, and the webhooks Meta really sends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildLitePayload } from '../../src/dialog360/build-payload.ts';
import { checkTemplate } from '../../src/dialog360/check-template.ts';
import { classifySendError } from '../../src/dialog360/classify-send-error.ts';
import { createDialogClient, type DialogClient } from '../../src/dialog360/client.ts';
import { configureChannelWebhook, getChannelWebhook } from '../../src/dialog360/configure-channel-webhook.ts';
import type { Route } from '../../src/shared/outbound-message.ts';
import type { SendResponse } from '../../src/dialog360/parse-response.ts';
import { createTemplateCache, fetchChannelTemplates } from '../../src/dialog360/template-cache.ts';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { parseWebhook, type WebhookEvent } from '../../src/webhooks/parse-webhook.ts';
import { waitFor } from '../support/wait-for.ts';

const MAIN = 'fidelity-main';
const NOT_ONBOARDED = 'fidelity-not-onboarded';
const OPTED_OUT = 'fidelity-opted-out';
const BSUID = 'fidelity-bsuid';
const PHONE_ID = '300000000000001';
const OPTED_OUT_ID = '300000000000003';

let sandbox: Sandbox;
let receiver: http.Server;
let receiverUrl: string;
let received: Array<{ path: string; headers: http.IncomingHttpHeaders; body: unknown }> = [];
const clients = new Map<string, DialogClient>();

const client = (key: string) => {
  let existing = clients.get(key);
  if (!existing) {
    existing = createDialogClient({ baseUrl: sandbox.url, apiKey: key, timeoutMs: 5000 });
    clients.set(key, existing);
  }
  return existing;
};

function payload(to: string, template = 'litecast_promo', params = 1) {
  return buildLitePayload({
    to,
    template: { name: template, language: 'en', components: params === 0 ? [] : [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
    callbackData: `lc1:camp:${to}`,
  });
}

async function send(route: Route, to: string, options: { key?: string; template?: string; params?: number } = {}): Promise<SendResponse> {
  const body = payload(to, options.template, options.params);
  if (route === 'cloud') {
    const { message_send_ttl_seconds: _ttl, message_activity_sharing: _sharing, product_policy: _policy, ...rest } = body;
    return client(options.key ?? MAIN).send('cloud', rest as typeof body);
  }
  return client(options.key ?? MAIN).send('lite', body);
}

function verdictOf(response: SendResponse, route: Route) {
  if (response.kind === 'accepted') throw new Error(`expected a refusal, got ${JSON.stringify(response)}`);
  return classifySendError(response, route);
}

const events = (): WebhookEvent[] => received.flatMap((delivery) => parseWebhook(delivery.body));
const statusesOf = (wamid: string) => events().filter((e): e is Extract<WebhookEvent, { kind: 'status' }> => e.kind === 'status' && e.wamid === wamid);

beforeAll(async () => {
  receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '/', headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  sandbox = await createSandbox({
    config: {
      channels: [
        { apiKey: MAIN, phoneNumberId: PHONE_ID, mps: 1000 },
        { apiKey: NOT_ONBOARDED, mps: 1000, lite: 'not-onboarded' },
        { apiKey: OPTED_OUT, phoneNumberId: OPTED_OUT_ID, mps: 1000, smartRouting: false },
        { apiKey: BSUID, mps: 1000, bsuid: true },
      ],
      templates: [
        { name: 'litecast_promo', bodyParams: 1 },
        { name: 'order_update', category: 'UTILITY' },
        { name: 'held_promo', bodyParams: 1, messageStatus: 'held_for_quality_assessment' },
        { name: 'paced_promo', bodyParams: 1, messageStatus: 'paused' },
        { name: 'refused_134103', bodyParams: 1, liteRefusal: 134103 },
        { name: 'refused_200', bodyParams: 1, liteRefusal: 200 },
        { name: 'fresh_promo', bodyParams: 1, createdAt: new Date().toISOString() },
      ],
      webhook: { url: `${receiverUrl}/hook`, sentDelayMs: 1, deliveredDelayMs: 2, readDelayMs: 3, clickDelayMs: 4, readRate: 1, clickRate: 1, batchMaxWaitMs: 5 },
    },
  });
});

beforeEach(() => {
  received = [];
});

afterAll(async () => {
  for (const each of clients.values()) each.close();
  await sandbox.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('send answers and their classification', () => {
  it('131055 for a utility template on MM: this template only', async () => {
    expect(verdictOf(await send('lite', '4915112340001', { template: 'order_update', params: 0 }), 'lite')).toMatchObject({ class: 'fallback', code: '131055', scope: 'template' });
  });

  it('131055 with the terms text: the whole channel', async () => {
    expect(verdictOf(await send('lite', '4915112340002', { key: NOT_ONBOARDED }), 'lite')).toMatchObject({ class: 'fallback', code: '131055', scope: 'channel' });
  });

  it('134103 and code 200 (HTTP 403) are template-scope fallbacks on MM, not pauses', async () => {
    expect(verdictOf(await send('lite', '4915112340003', { template: 'refused_134103' }), 'lite')).toMatchObject({ class: 'fallback', code: '134103', scope: 'template' });
    const refused = await send('lite', '4915112340004', { template: 'refused_200' });
    expect(refused).toMatchObject({ kind: 'rejected', status: 403 });
    expect(verdictOf(refused, 'lite')).toMatchObject({ class: 'fallback', code: '200', scope: 'template' });
    // The same templates go through /messages.
    expect((await send('cloud', '4915112340004', { template: 'refused_200' })).kind).toBe('accepted');
  });

  it.each(['plain', 'object'] as const)("360dialog's rate limit in the %s shape is a throttle", async (shape) => {
    sandbox.setFaults([{ effect: { type: 'd360-rate-limit', shape, httpStatus: 400 }, count: 1 }]);
    expect(verdictOf(await send('lite', '4915112340005'), 'lite')).toMatchObject({ class: 'throttle', code: 'D360_RATE_LIMIT' });
  });

  it.each([
    ['held_promo', 'held_for_quality_assessment'],
    ['paced_promo', 'paused'],
    ['litecast_promo', 'accepted'],
  ])('surfaces message_status of %s (%s) on the accepted send', async (template, status) => {
    expect(await send('lite', '4915112340006', { template })).toMatchObject({ kind: 'accepted', messageStatus: status });
  });

  it.each([
    ['Brazil without the 9th digit', '5511987654321', '551187654321'],
    ['Mexico with 521', '525512345678', '5215512345678'],
    ['Germany unchanged', '4915112340007', '4915112340007'],
  ])('reports the wa_id Meta uses: %s', async (_name, input, waId) => {
    const answer = await send('lite', input);
    expect(answer).toMatchObject({ kind: 'accepted', contact: { input, waId } });
    await sandbox.flushWebhooks();
    const wamid = (answer as { wamid: string }).wamid;
    expect(statusesOf(wamid).every((status) => status.recipient === waId)).toBe(true);
  });

  it('a BSUID channel answers and reports user_id without a phone', async () => {
    const answer = await send('lite', '4915112340008', { key: BSUID });
    expect(answer).toMatchObject({ kind: 'accepted', contact: { input: '4915112340008', userId: expect.stringMatching(/^SB\./) } });
    await sandbox.flushWebhooks();
    const statuses = statusesOf((answer as { wamid: string }).wamid);
    expect(statuses.length).toBeGreaterThan(0);
    for (const status of statuses) {
      expect(status.recipient).toBeUndefined();
      expect(status.recipientUserId).toBe((answer as { contact: { userId: string } }).contact.userId);
    }
  });
});

describe('webhooks as Meta sends them', () => {
  it('prices sent and the first of delivered/read only, and clicks carry no recipient', async () => {
    const answer = await send('lite', '4915112340010');
    await sandbox.flushWebhooks();
    const statuses = statusesOf((answer as { wamid: string }).wamid);
    expect(statuses.map((s) => [s.status, s.pricingCategory])).toEqual([
      ['sent', 'marketing_lite'],
      ['delivered', 'marketing_lite'],
      ['read', undefined],
    ]);
    const clicks = events().filter((e) => e.kind === 'click');
    expect(clicks).toHaveLength(1);
    expect(clicks[0]).not.toHaveProperty('recipient');
    expect(clicks[0]).not.toHaveProperty('callbackData');
    expect(clicks[0]).not.toHaveProperty('wamid');
  });

  it('routes a marketing template on /messages through MM unless the number opted out', async () => {
    const routed = await send('cloud', '4915112340011');
    const optedOut = await send('cloud', '4915112340012', { key: OPTED_OUT });
    await sandbox.flushWebhooks();
    expect(statusesOf((routed as { wamid: string }).wamid)[0]?.pricingCategory).toBe('marketing_lite');
    expect(statusesOf((optedOut as { wamid: string }).wamid)[0]?.pricingCategory).toBe('marketing');
  });

  it('posts button taps, user_id-only preferences and template status changes', async () => {
    const tap = await fetch(`${sandbox.url}/_sandbox/button-reply`, { method: 'POST', body: JSON.stringify({ channel: MAIN, from: '4915112340013', contextWamid: 'wamid.X' }) });
    expect(tap.status).toBe(200);
    const preference = await fetch(`${sandbox.url}/_sandbox/user-preference`, { method: 'POST', body: JSON.stringify({ channel: MAIN, userId: 'US.42', value: 'stop' }) });
    expect(preference.status).toBe(200);
    const paused = await fetch(`${sandbox.url}/_sandbox/template-status`, { method: 'POST', body: JSON.stringify({ channel: MAIN, name: 'paced_promo', event: 'PAUSED' }) });
    expect(paused.status).toBe(200);
    await waitFor(() => events().length >= 3, { what: 'three user-originated webhooks' });
    expect(events()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'button', recipient: '4915112340013', payload: 'Stop promotions', contextWamid: 'wamid.X' }),
        expect.objectContaining({ kind: 'preference', recipient: 'US.42', userId: 'US.42', value: 'stop' }),
        expect.objectContaining({ kind: 'template-status', event: 'PAUSED', templateName: 'paced_promo', language: 'en' }),
      ]),
    );
    // Meta refuses a paused template from then on.
    expect(verdictOf(await send('lite', '4915112340014', { template: 'paced_promo' }), 'lite')).toMatchObject({ class: 'fatal', code: '132015' });
  });
});

describe('templates and webhook configuration through the API', () => {
  it('lists the templates and checks a campaign against them', async () => {
    const templates = await fetchChannelTemplates(client(MAIN));
    expect(templates.find((t) => t.name === 'litecast_promo')).toMatchObject({ language: 'en', category: 'MARKETING', status: 'APPROVED' });
    expect(checkTemplate(templates, { name: 'litecast_promo', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }] }, 'lite')).toEqual({ ok: true, warnings: [] });
    expect(checkTemplate(templates, { name: 'order_update', language: 'en' }, 'lite')).toMatchObject({ ok: false, problem: 'not-marketing' });
    expect(checkTemplate(templates, { name: 'litecast_promo', language: 'en', components: [] }, 'lite')).toMatchObject({ ok: false, problem: 'parameter-count' });
    const fresh = checkTemplate(templates, { name: 'fresh_promo', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }] }, 'lite');
    expect(fresh).toMatchObject({ ok: true, warnings: [expect.stringMatching(/created 0 minute\(s\) ago/)] });
  });

  it('caches the listing per channel', async () => {
    let calls = 0;
    const counting = { getJson: (path: string) => ((calls += 1), client(MAIN).getJson(path)) };
    const cache = createTemplateCache();
    await cache.get(PHONE_ID, counting);
    await cache.get(PHONE_ID, counting);
    expect(calls).toBe(1);
    cache.invalidate(PHONE_ID);
    await cache.get(PHONE_ID, counting);
    expect(calls).toBe(2);
    cache.close();
  });

  it('sets the webhook with the secret header and confirms the configuration', async () => {
    const confirmed = await configureChannelWebhook(client(OPTED_OUT), `${receiverUrl}/channel-hook`, { name: 'x-litecast-secret', value: 's3cret' });
    expect(confirmed).toEqual({ url: `${receiverUrl}/channel-hook`, headers: { 'x-litecast-secret': 's3cret' } });
    expect(await getChannelWebhook(client(OPTED_OUT))).toEqual(confirmed);
    await send('cloud', '4915112340015', { key: OPTED_OUT });
    await sandbox.flushWebhooks();
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((d) => d.path === '/channel-hook' && d.headers['x-litecast-secret'] === 's3cret')).toBe(true);
  });
});
