/**
 * Sandbox webhooks, received by a real local HTTP server: status shapes per route, clicks,
 * failures, batching, signing, retries, inbound messages and preference changes.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { waitFor } from '../support/wait-for.ts';

const LITE = 'key-lite';
const FALLBACK = 'key-fallback';
const OPTED_OUT = 'key-opted-out';
const SIGNING_SECRET = 'sign-me';

interface Status {
  id: string;
  status: string;
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  pricing?: { billable: boolean; pricing_model: string; type: string; category: string };
  conversation?: { id: string; origin: { type: string } };
  errors?: Array<{ code: number; title: string; message: string; error_data: { details: string } }>;
}
interface UserAction {
  action_type: string;
  timestamp: string;
  marketing_messages_link_click_data: { click_component: string; click_id: string; tracking_token: string };
  recipient_id: string;
  biz_opaque_callback_data?: string;
}
interface ChangeValue {
  messaging_product: string;
  metadata: { display_phone_number: string; phone_number_id: string };
  statuses?: Status[];
  user_actions?: UserAction[];
  contacts?: Array<{ wa_id: string; profile?: { name: string } }>;
  messages?: Array<{ from: string; id: string; timestamp: string; type: string; text: { body: string } }>;
  user_preferences?: Array<{ wa_id: string; category: string; value: string; detail: string; timestamp: number }>;
}
interface WebhookBody {
  object: string;
  entry: Array<{ id: string; changes: Array<{ field: string; value: ChangeValue }> }>;
}
interface Delivery {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: WebhookBody;
  receivedAt: number;
}

let sandbox: Sandbox;
let receiver: http.Server;
let receiverUrl: string;
let deliveries: Delivery[] = [];
const attemptsByPath = new Map<string, number>();

beforeAll(async () => {
  receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      attemptsByPath.set(path, (attemptsByPath.get(path) ?? 0) + 1);
      if (path.startsWith('/failing')) {
        response.writeHead(500).end('no');
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      deliveries.push({ path, headers: request.headers, raw, body: JSON.parse(raw) as WebhookBody, receivedAt: performance.now() });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  sandbox = await createSandbox({
    config: {
      channels: [
        { apiKey: LITE, phoneNumberId: '200000000000001', displayPhoneNumber: '15550000001', wabaId: '300000000000001', mps: 1000 },
        { apiKey: FALLBACK, phoneNumberId: '200000000000002', mps: 1000, lite: 'meta-fallback' },
        // A number opted out of 360dialog's smart routing: /messages stays on the Cloud API.
        { apiKey: OPTED_OUT, phoneNumberId: '200000000000003', mps: 1000, smartRouting: false },
      ],
      recipientErrors: [{ match: '1555123*', code: 131049, async: true }],
      webhook: {
        url: `${receiverUrl}/hook`,
        headers: { authorization: 'Bearer hook-secret' },
        signingSecret: SIGNING_SECRET,
        sentDelayMs: 5,
        deliveredDelayMs: 15,
        readDelayMs: 40,
        clickDelayMs: 60,
        readRate: 1,
        clickRate: 1,
        batchMaxWaitMs: 10,
        retryBaseMs: 10,
        maxRetries: 2,
      },
    },
  });
});

afterAll(async () => {
  await sandbox.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

beforeEach(() => {
  sandbox.reset();
  deliveries = [];
  attemptsByPath.clear();
});

async function send(route: 'lite' | 'cloud', to: string, options: { key?: string; callback?: string } = {}): Promise<string> {
  const payload: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'template',
    template: {
      name: 'litecast_promo',
      language: { policy: 'deterministic', code: 'en' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }],
    },
    biz_opaque_callback_data: options.callback ?? `lc1:camp:${to}`,
  };
  if (route === 'lite') payload.message_send_ttl_seconds = 86_400;
  const response = await fetch(`${sandbox.url}${route === 'lite' ? '/marketing_messages' : '/messages'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'D360-API-KEY': options.key ?? LITE },
    body: JSON.stringify(payload),
  });
  const body = (await response.json()) as { messages: Array<{ id: string }> };
  expect(response.status).toBe(200);
  return body.messages[0]!.id;
}

const values = () => deliveries.flatMap((d) => d.body.entry.flatMap((e) => e.changes.map((c) => c.value)));
const statusesOf = (wamid: string) => values().flatMap((v) => v.statuses ?? []).filter((s) => s.id === wamid);
const clicks = () => values().flatMap((v) => v.user_actions ?? []);


describe('status webhooks', () => {
  it('plays out sent, delivered, read and a click with marketing_lite pricing on the lite route', async () => {
    const wamid = await send('lite', '4915112345678');
    await waitFor(() => statusesOf(wamid).length === 3 && clicks().length === 1);
    const statuses = statusesOf(wamid);
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    for (const status of statuses) {
      expect(status).toMatchObject({ recipient_id: '4915112345678', biz_opaque_callback_data: 'lc1:camp:4915112345678' });
      expect(status.timestamp).toMatch(/^\d{10}$/);
    }
    for (const status of statuses.slice(0, 2)) {
      expect(status.pricing).toEqual({ billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing_lite' });
      expect(status.conversation?.origin.type).toBe('marketing_lite');
    }
    expect(statuses[0]!.conversation?.id).toBe(statuses[1]!.conversation?.id);
    expect(statuses[2]!.pricing).toBeUndefined();

    const body = deliveries[0]!.body;
    expect(body.object).toBe('whatsapp_business_account');
    expect(body.entry[0]!.id).toBe('300000000000001');
    expect(body.entry[0]!.changes[0]!.field).toBe('messages');
    expect(body.entry[0]!.changes[0]!.value.metadata).toEqual({ display_phone_number: '15550000001', phone_number_id: '200000000000001' });

    // Meta's click event names no recipient, wamid or callback data (fixtures/webhook-sources.ts click).
    const [click] = clicks();
    expect(click).toMatchObject({ action_type: 'marketing_messages_link_click', marketing_messages_link_click_data: { click_component: 'CTA' } });
    expect(click).not.toHaveProperty('recipient_id');
    expect(click).not.toHaveProperty('biz_opaque_callback_data');
    expect(click!.marketing_messages_link_click_data.click_id).toMatch(/^[0-9a-f]{16}$/);
    const clickValue = values().find((v) => v.user_actions !== undefined);
    expect(clickValue?.contacts).toBeUndefined();
  });

  it('prices cloud sends of a number opted out of smart routing as marketing and never clicks them', async () => {
    const wamid = await send('cloud', '4915112345679', { key: OPTED_OUT });
    await waitFor(() => statusesOf(wamid).length === 3);
    await sandbox.flushWebhooks();
    expect(statusesOf(wamid)[0]?.pricing?.category).toBe('marketing');
    expect(statusesOf(wamid)[1]?.conversation?.origin.type).toBe('marketing');
    expect(clicks()).toEqual([]);
  });

  it('prices MM Lite sends of a meta-fallback channel as marketing, without clicks', async () => {
    const wamid = await send('lite', '4915112345670', { key: FALLBACK });
    await sandbox.flushWebhooks();
    const statuses = statusesOf(wamid);
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    expect(statuses[0]?.pricing?.category).toBe('marketing');
    expect(clicks()).toEqual([]);
    expect(values()[0]?.metadata.phone_number_id).toBe('200000000000002');
  });

  it('sends a failed status with the code for asynchronous recipient errors', async () => {
    const wamid = await send('lite', '15551230000');
    await waitFor(() => statusesOf(wamid).length === 1);
    await sandbox.flushWebhooks();
    const statuses = statusesOf(wamid);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ status: 'failed', recipient_id: '15551230000' });
    expect(statuses[0]!.errors?.[0]).toMatchObject({ code: 131049, error_data: { details: expect.any(String) } });
    expect(statuses[0]!.errors?.[0]?.title).toContain('healthy ecosystem');
  });

  it('carries the custom headers and a verifiable HMAC signature', async () => {
    await send('lite', '4915112345671');
    await sandbox.flushWebhooks();
    expect(deliveries.length).toBeGreaterThan(0);
    for (const delivery of deliveries) {
      expect(delivery.headers.authorization).toBe('Bearer hook-secret');
      expect(delivery.headers['content-type']).toBe('application/json');
      const expected = createHmac('sha256', SIGNING_SECRET).update(delivery.raw).digest('hex');
      expect(delivery.headers['x-360dialog-signature']).toBe(expected);
    }
  });

  it('batches statuses of one channel into few POSTs', async () => {
    sandbox.configure({ webhook: { batchMaxStatuses: 10, batchMaxWaitMs: 1_000, readRate: 0 } });
    const wamids = await Promise.all(Array.from({ length: 30 }, (_, i) => send('lite', `49152000000${String(i).padStart(2, '0')}`)));
    await sandbox.flushWebhooks();
    const counts = deliveries.map((d) => d.body.entry[0]!.changes[0]!.value.statuses?.length ?? 0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(60);
    expect(Math.max(...counts)).toBe(10);
    expect(deliveries.length).toBeLessThanOrEqual(8);
    for (const wamid of wamids) expect(statusesOf(wamid).map((s) => s.status)).toEqual(['sent', 'delivered']);
    expect(sandbox.stats()).toMatchObject({ webhookEventsSent: 60, webhooksSent: deliveries.length, webhooksPending: 0 });
  });

  it('reads about readRate of the messages, the same way on every run', async () => {
    const run = async () => {
      sandbox.reset();
      deliveries = [];
      sandbox.configure({ webhook: { readRate: 0.5, clickRate: 0 } });
      const wamids: string[] = [];
      for (let i = 0; i < 100; i++) wamids.push(await send('cloud', `49153000000${String(i).padStart(2, '0')}`));
      await sandbox.flushWebhooks();
      return wamids.map((wamid) => statusesOf(wamid).some((s) => s.status === 'read'));
    };
    const first = await run();
    const reads = first.filter(Boolean).length;
    expect(reads).toBeGreaterThan(30);
    expect(reads).toBeLessThan(70);
    expect(await run()).toEqual(first);
  });

  it('can deliver read before delivered', async () => {
    sandbox.configure({ webhook: { outOfOrderRate: 1, clickRate: 0 } });
    const wamid = await send('lite', '4915112345672');
    await waitFor(() => statusesOf(wamid).length === 3);
    expect(statusesOf(wamid).map((s) => s.status)).toEqual(['sent', 'read', 'delivered']);
  });

  it('can deliver every status twice', async () => {
    sandbox.configure({ webhook: { duplicateRate: 1, readRate: 0 } });
    const wamid = await send('lite', '4915112345673');
    await waitFor(() => statusesOf(wamid).length === 4);
    await sandbox.flushWebhooks();
    expect(statusesOf(wamid).map((s) => s.status).sort()).toEqual(['delivered', 'delivered', 'sent', 'sent']);
  });

  it('retries a failing receiver and then counts the failure', async () => {
    sandbox.configure({ webhook: { url: `${receiverUrl}/failing`, readRate: 0, batchMaxWaitMs: 1_000 } });
    await send('lite', '4915112345674');
    await sandbox.flushWebhooks();
    // One POST with both statuses, tried 1 + maxRetries times.
    expect(attemptsByPath.get('/failing')).toBe(3);
    expect(sandbox.stats()).toMatchObject({ webhookFailures: 1, webhooksSent: 0, webhooksPending: 0 });
  });

  it('survives a receiver that is down', async () => {
    sandbox.configure({ webhook: { url: 'http://127.0.0.1:9/down', readRate: 0, retryBaseMs: 1, maxRetries: 1 } });
    await send('cloud', '4915112345675');
    await sandbox.flushWebhooks();
    expect(sandbox.stats().webhookFailures).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${sandbox.url}/_sandbox/health`)).status).toBe(200);
  });
});

describe('webhook configuration endpoint', () => {
  it('sets and reads a channel webhook URL with the API key, and sends there', async () => {
    const post = await fetch(`${sandbox.url}/v1/configs/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'D360-API-KEY': LITE },
      body: JSON.stringify({ url: `${receiverUrl}/channel-hook`, headers: { 'x-token': 'abc' } }),
    });
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ url: `${receiverUrl}/channel-hook`, headers: { 'x-token': 'abc' } });
    const current = await fetch(`${sandbox.url}/v1/configs/webhook`, { headers: { 'D360-API-KEY': LITE } });
    // The current configuration includes the sandbox-wide custom headers merged under the channel's.
    expect(await current.json()).toEqual({ url: `${receiverUrl}/channel-hook`, headers: { authorization: 'Bearer hook-secret', 'x-token': 'abc' } });

    await send('lite', '4915112345676');
    await sandbox.flushWebhooks();
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.path === '/channel-hook' && d.headers['x-token'] === 'abc')).toBe(true);

    // The other channel still uses the configured default.
    deliveries = [];
    await send('cloud', '4915112345677', { key: FALLBACK });
    await sandbox.flushWebhooks();
    expect(deliveries.every((d) => d.path === '/hook')).toBe(true);
  });

  it('refuses a missing key with 401 and a bad URL with 400', async () => {
    const noKey = await fetch(`${sandbox.url}/v1/configs/webhook`, { method: 'POST', body: JSON.stringify({ url: 'http://x.test' }) });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toEqual({ error: 'Invalid api token.' });
    const badUrl = await fetch(`${sandbox.url}/v1/configs/webhook`, {
      method: 'POST',
      headers: { 'D360-API-KEY': LITE },
      body: JSON.stringify({ url: 'not a url' }),
    });
    expect(badUrl.status).toBe(400);
  });
});

describe('user-originated webhooks', () => {
  it('emits an inbound text message over the control API', async () => {
    const answer = await fetch(`${sandbox.url}/_sandbox/inbound`, {
      method: 'POST',
      body: JSON.stringify({ channel: LITE, from: '4915112345678', text: 'STOP please' }),
    });
    expect(answer.status).toBe(200);
    const { id } = (await answer.json()) as { id: string };
    await sandbox.flushWebhooks();
    const value = values().find((v) => v.messages !== undefined);
    expect(value?.metadata.phone_number_id).toBe('200000000000001');
    expect(value?.contacts).toEqual([{ profile: { name: 'Sandbox User' }, wa_id: '4915112345678' }]);
    expect(value?.messages).toEqual([{ from: '4915112345678', id, timestamp: expect.stringMatching(/^\d+$/), type: 'text', text: { body: 'STOP please' } }]);
  });

  it('emits stop and resume preference changes', async () => {
    sandbox.emitUserPreference({ from: '4915112345678', value: 'stop' });
    const answer = await fetch(`${sandbox.url}/_sandbox/user-preference`, {
      method: 'POST',
      body: JSON.stringify({ channel: '200000000000002', from: '4915112345679', value: 'resume' }),
    });
    expect(answer.status).toBe(200);
    await sandbox.flushWebhooks();
    const changes = deliveries.flatMap((d) => d.body.entry.flatMap((e) => e.changes));
    expect(changes.every((c) => c.field === 'user_preferences')).toBe(true);
    const preferences = changes.map((c) => [c.value.metadata.phone_number_id, c.value.user_preferences?.[0]]);
    expect(preferences).toEqual(
      expect.arrayContaining([
        ['200000000000001', expect.objectContaining({ wa_id: '4915112345678', category: 'marketing_messages', value: 'stop' })],
        ['200000000000002', expect.objectContaining({ wa_id: '4915112345679', category: 'marketing_messages', value: 'resume' })],
      ]),
    );
  });

  it('refuses an invalid preference with the field named', async () => {
    const answer = await fetch(`${sandbox.url}/_sandbox/user-preference`, {
      method: 'POST',
      body: JSON.stringify({ from: 'abc', value: 'maybe' }),
    });
    expect(answer.status).toBe(400);
    const { error } = (await answer.json()) as { error: string };
    expect(error).toContain('from');
    expect(error).toContain('value');
  });
});
