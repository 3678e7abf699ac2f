/**
 * The 360dialog client and sendMessage against the sandbox over real HTTP: one test per verdict.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDialogClient, type DialogClient } from '../../src/dialog360/client.ts';
import { createLiteEligibilityMemory } from '../../src/dialog360/lite-eligibility-memory.ts';
import type { OutboundMessage } from '../../src/shared/outbound-message.ts';
import { sendMessage, type SendPolicy } from '../../src/dialog360/send-message.ts';
import { buildLitePayload } from '../../src/dialog360/build-payload.ts';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { waitFor } from '../support/wait-for.ts';

const KEY = 'client-test-key';
let sandbox: Sandbox;
let client: DialogClient;

const policy: SendPolicy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, onAmbiguousTimeout: 'unknown' };
const message = (to: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  to,
  template: { name: 'litecast_promo', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }] },
  ttlSeconds: 86_400,
  activitySharing: true,
  callbackData: `lc1:cmp_client:${to}`,
  ...extra,
});

beforeAll(async () => {
  sandbox = await createSandbox({
    config: {
      channels: [{ apiKey: KEY, mps: 1000 }, { apiKey: 'not-onboarded-key', mps: 1000, lite: 'not-onboarded' }],
      liteIneligibleRecipients: ['55*'],
      recipientErrors: [{ match: '4477*', code: 131026 }],
    },
  });
  client = createDialogClient({ baseUrl: sandbox.url, apiKey: KEY, timeoutMs: 500 });
});
afterAll(async () => {
  client.close();
  await sandbox.close();
});
afterEach(() => sandbox.setFaults([]));

describe('client against the sandbox', () => {
  it('sends the lite payload to /marketing_messages and reads the wamid', async () => {
    const response = await client.send('lite', buildLitePayload(message('441110000001')));
    expect(response).toMatchObject({ kind: 'accepted', status: 200, messageStatus: 'accepted' });
    const accepted = sandbox.messages().find((m) => m.to === '441110000001');
    expect(accepted).toMatchObject({ route: 'lite', bizOpaqueCallbackData: 'lc1:cmp_client:441110000001' });
    expect(accepted?.payload).toMatchObject({ message_send_ttl_seconds: 86_400, template: { language: { policy: 'deterministic', code: 'en' } } });
    if (response.kind === 'accepted') expect(accepted?.wamid).toBe(response.wamid);
  });

  it('the sandbox refuses lite-only fields on /messages, so the cloud payload must strip them', async () => {
    const raw = await client.send('cloud', buildLitePayload(message('441110000002')));
    expect(raw).toMatchObject({ kind: 'rejected', status: 400, error: { code: 100 } });
    const viaSend = await sendMessage({ client }, policy, message('441110000002'), 'cloud');
    expect(viaSend).toMatchObject({ status: 'sent', route: 'cloud' });
  });

  it('fallback: an ineligible recipient is refused by MM Lite and re-sent once via /messages', async () => {
    const result = await sendMessage({ client }, policy, message('551110000003'), 'lite');
    expect(result).toMatchObject({ status: 'sent', route: 'cloud', fellBack: true, attempts: 2, fallback: { code: '131009' } });
    const sent = sandbox.messages().filter((m) => m.to === '551110000003');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.route).toBe('cloud');
    expect(sent[0]?.payload).not.toHaveProperty('message_send_ttl_seconds');
  });

  it('a retried 500 succeeds on the next attempt', async () => {
    sandbox.setFaults([{ endpoint: 'lite', to: '441110000004', count: 1, effect: { type: 'http', status: 500 } }]);
    const result = await sendMessage({ client }, policy, message('441110000004'), 'lite');
    expect(result).toMatchObject({ status: 'sent', route: 'lite', attempts: 2 });
  });

  it('a 502 with an HTML body is retried too', async () => {
    sandbox.setFaults([{ to: '441110000014', count: 2, effect: { type: 'http', status: 502, body: '<html>Bad Gateway</html>' } }]);
    expect(await sendMessage({ client }, policy, message('441110000014'), 'lite')).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('a timeout (hung response) is ambiguous: unknown by default, never re-sent', async () => {
    sandbox.setFaults([{ to: '441110000005', count: 1, effect: { type: 'hang', ms: 2_000 } }]);
    const result = await sendMessage({ client }, policy, message('441110000005'), 'lite');
    // TIMEOUT (not an answer after the 2 s hang) shows the client's own response timeout fired.
    expect(result).toMatchObject({ status: 'unknown', attempts: 1, verdict: { class: 'retry', code: 'TIMEOUT', ambiguous: true } });
    expect(sandbox.messages().filter((m) => m.to === '441110000005')).toHaveLength(0);
  });

  it('with onAmbiguousTimeout=retry a timeout is retried and sent', async () => {
    sandbox.setFaults([{ to: '441110000006', count: 1, effect: { type: 'hang', ms: 2_000 } }]);
    const result = await sendMessage({ client }, { ...policy, onAmbiguousTimeout: 'retry' }, message('441110000006'), 'lite');
    expect(result).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a connection reset after the request went out is ambiguous: unknown by default, never re-sent', async () => {
    // The sandbox reads the whole request, then resets: the server had it, as a real one may have accepted it.
    sandbox.setFaults([{ to: '441110000007', count: 1, effect: { type: 'reset' } }]);
    const result = await sendMessage({ client }, policy, message('441110000007'), 'lite');
    expect(result).toMatchObject({ status: 'unknown', attempts: 1, verdict: { class: 'retry', code: 'NETWORK_RESET', ambiguous: true } });
    expect(sandbox.stats().faultsApplied).toMatchObject({ reset: 1 });
    // With onAmbiguousTimeout=retry it is sent again, and accepted.
    sandbox.setFaults([{ to: '441110000017', count: 1, effect: { type: 'reset' } }]);
    expect(await sendMessage({ client }, { ...policy, onAmbiguousTimeout: 'retry' }, message('441110000017'), 'lite')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('throttle: 130429 and 360dialog’s rate-limit answer call onThrottle with the wait, then succeed', async () => {
    sandbox.setFaults([
      { to: '441110000008', count: 1, effect: { type: 'error', code: 130429 } },
      { to: '441110000008', count: 1, effect: { type: 'd360-rate-limit', retryAfterSeconds: 0 } },
    ]);
    const throttles: Array<{ code: string; waitMs: number | undefined }> = [];
    const result = await sendMessage({ client, onThrottle: (v) => void throttles.push({ code: v.code, waitMs: v.waitMs }) }, policy, message('441110000008'), 'lite');
    expect(result).toMatchObject({ status: 'sent', attempts: 3 });
    expect(throttles).toEqual([
      { code: '130429', waitMs: 1_000 },
      { code: 'D360_RATE_LIMIT', waitMs: 0 },
    ]);
  });

  it('fatal: a wrong API key gets 401 in the plain envelope and stops at once', async () => {
    const badClient = createDialogClient({ baseUrl: sandbox.url, apiKey: 'wrong', timeoutMs: 500 });
    try {
      const raw = await badClient.send('lite', buildLitePayload(message('441110000009')));
      expect(raw).toEqual({ kind: 'rejected', status: 401, error: { envelope: 'd360-plain', message: 'Invalid api token.' } });
      const result = await sendMessage({ client: badClient }, policy, message('441110000009'), 'lite');
      expect(result).toMatchObject({ status: 'fatal', attempts: 1, verdict: { class: 'fatal', code: 'D360_INVALID_API_KEY' } });
    } finally {
      badClient.close();
    }
  });

  it('fatal: a paused template (132015) stops the send', async () => {
    sandbox.configure({
      templates: [
        { name: 'litecast_promo', language: 'en', category: 'MARKETING', bodyParams: 1 },
        { name: 'paused_promo', language: 'en', category: 'MARKETING', status: 'PAUSED' },
      ],
    });
    const result = await sendMessage({ client }, policy, message('441110000010', { template: { name: 'paused_promo', language: 'en' } }), 'lite');
    expect(result).toMatchObject({ status: 'fatal', verdict: { code: '132015' } });
  });

  it('recipient: 131026 is a failed outcome after one attempt, no fallback', async () => {
    const result = await sendMessage({ client }, policy, message('447711000011'), 'lite');
    expect(result).toMatchObject({ status: 'failed', attempts: 1, fellBack: false, verdict: { class: 'recipient', code: '131026' } });
  });

  it('a channel that is not onboarded is remembered: the next message skips MM Lite', async () => {
    const notOnboarded = createDialogClient({ baseUrl: sandbox.url, apiKey: 'not-onboarded-key', timeoutMs: 500 });
    const liteMemory = createLiteEligibilityMemory({ ttlMs: 60_000 });
    try {
      const before = sandbox.stats().rejectedByCode['131055'] ?? 0;
      const first = await sendMessage({ client: notOnboarded, liteMemory }, policy, message('441110000012'), 'lite');
      const second = await sendMessage({ client: notOnboarded, liteMemory }, policy, message('441110000013'), 'lite');
      expect(first).toMatchObject({ status: 'sent', route: 'cloud', attempts: 2, fallback: { code: '131055', remembered: false } });
      expect(second).toMatchObject({ status: 'sent', route: 'cloud', attempts: 1, fallback: { code: '131055', remembered: true } });
      expect((sandbox.stats().rejectedByCode['131055'] ?? 0) - before).toBe(1);
    } finally {
      notOnboarded.close();
    }
  });

  it('a refused connection is a retry verdict that never reached the server', async () => {
    const dead = createDialogClient({ baseUrl: 'http://127.0.0.1:1', apiKey: KEY, timeoutMs: 500 });
    try {
      const response = await dead.send('lite', buildLitePayload(message('441110000015')));
      expect(response).toMatchObject({ kind: 'network', reason: 'connect', ambiguous: false });
      // The channel backs off (attempts are kept) until maxRetryTime runs out.
      const result = await sendMessage({ client: dead }, { ...policy, maxAttempts: 2, maxRetryTimeMs: 300 }, message('441110000015'), 'lite');
      expect(result).toMatchObject({ status: 'failed', verdict: { code: 'CONNECT', scope: 'channel' } });
      expect(result.attempts).toBeGreaterThan(2);
    } finally {
      dead.close();
    }
  });
});

describe('client keep-alive', () => {
  it('closes an idle socket before the server does, following its Keep-Alive hint', async () => {
    // A reset of a written request is ambiguous (never re-sent): the client must not write to a
    // socket the server is about to close. This server announces `Keep-Alive: timeout=3`.
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    server.keepAliveTimeout = 3_000;
    let closedByClient = false;
    server.on('connection', (socket) => socket.on('end', () => (closedByClient = true)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const idle = createDialogClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY, timeoutMs: 2_000 });
    try {
      expect((await idle.postJson('/ping', {})).status).toBe(200);
      const answeredAt = Date.now();
      // The server would drop the socket at 3 s, without a FIN from us; the client's comes first.
      await waitFor(() => closedByClient, { what: 'the client to close its idle socket', timeoutMs: 2_900 });
      expect(Date.now() - answeredAt).toBeLessThan(2_900);
    } finally {
      idle.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
