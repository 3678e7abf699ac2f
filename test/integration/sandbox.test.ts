/**
 * The sandbox over real HTTP: answer shapes, validation, limits, faults and the control API.
 * Webhooks are covered in sandbox-webhooks.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { waitFor } from '../support/wait-for.ts';

const MAIN = 'key-main';
const NOT_ONBOARDED = 'key-not-onboarded';
const FALLBACK = 'key-fallback';
const SLOW_NUMBER = 'key-20mps';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({
    port: 0,
    config: {
      channels: [
        { apiKey: MAIN, phoneNumberId: '100000000000001', mps: 1000 },
        { apiKey: NOT_ONBOARDED, phoneNumberId: '100000000000002', mps: 1000, lite: 'not-onboarded' },
        { apiKey: FALLBACK, phoneNumberId: '100000000000003', mps: 1000, lite: 'meta-fallback' },
        { apiKey: SLOW_NUMBER, phoneNumberId: '100000000000004', mps: 20 },
      ],
      templates: [
        { name: 'litecast_promo', bodyParams: 1 },
        { name: 'order_update', category: 'UTILITY' },
        { name: 'paused_promo', status: 'PAUSED' },
        { name: 'disabled_promo', status: 'DISABLED' },
        { name: 'two_params', language: 'de', bodyParams: 2 },
      ],
      liteIneligibleRecipients: ['4930*', '4917000000001'],
      recipientErrors: [{ match: '4477*', code: 131026, endpoint: 'cloud' }],
    },
  });
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(() => {
  sandbox.reset();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are asserted field by field
  json: any;
}

async function post(path: string, body: unknown, options: { key?: string | null; timeoutMs?: number } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = options.key === undefined ? MAIN : options.key;
  if (key !== null) headers['D360-API-KEY'] = key;
  const response = await fetch(sandbox.url + path, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

async function get(path: string): Promise<Answer> {
  const response = await fetch(sandbox.url + path);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) };
}

function litePayload(overrides: Record<string, unknown> = {}, template: Record<string, unknown> = {}) {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: '4915112345678',
    type: 'template',
    template: {
      name: 'litecast_promo',
      language: { policy: 'deterministic', code: 'en' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }],
      ...template,
    },
    message_send_ttl_seconds: 86_400,
    message_activity_sharing: true,
    biz_opaque_callback_data: 'lc1:camp-1:4915112345678',
    ...overrides,
  };
}

function cloudPayload(overrides: Record<string, unknown> = {}, template: Record<string, unknown> = {}) {
  const { message_send_ttl_seconds: _ttl, message_activity_sharing: _sharing, ...rest } = litePayload(overrides, template);
  return rest;
}

/** The Meta error object from either envelope, asserting which one was used. */
function metaError(answer: Answer, envelope: 'meta' | 'wrapped') {
  const error = envelope === 'wrapped' ? answer.json?.detail?.error : answer.json?.error;
  expect(error, `expected a ${envelope} envelope, got ${answer.text}`).toBeTypeOf('object');
  expect(error.type).toBe('OAuthException');
  expect(error.error_data.messaging_product).toBe('whatsapp');
  expect(error.fbtrace_id).toMatch(/^A/);
  expect(error.message).toMatch(new RegExp(`^\\(#${error.code}\\) \\S`));
  return error as { code: number; message: string; error_data: { details: string } };
}

describe('successful sends', () => {
  it('answers the MM Lite shape with success: true and records the message', async () => {
    const sentAt = Date.now();
    const answer = await post('/marketing_messages', litePayload());
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '4915112345678', wa_id: '4915112345678' }],
      messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]+$/), message_status: 'accepted' }],
      success: true,
    });
    const [message] = sandbox.messages();
    expect(message).toMatchObject({
      wamid: answer.json.messages[0].id,
      channel: '100000000000001',
      to: '4915112345678',
      route: 'lite',
      deliveredVia: 'lite',
      template: 'litecast_promo',
      language: 'en',
      bizOpaqueCallbackData: 'lc1:camp-1:4915112345678',
      payload: litePayload(),
    });
    expect(JSON.stringify(message)).not.toContain(MAIN);
    // acceptedAt is a wall-clock timestamp of the acceptance, taken while the request was in flight.
    expect(message!.acceptedAt).toBeGreaterThanOrEqual(sentAt);
    expect(message!.acceptedAt).toBeLessThanOrEqual(Date.now());
  });

  it('answers the Cloud API shape without success on /messages and /v1/messages', async () => {
    for (const path of ['/messages', '/v1/messages']) {
      const answer = await post(path, cloudPayload({ recipient_type: undefined }));
      expect(answer.status).toBe(200);
      expect(answer.json.success).toBeUndefined();
      expect(answer.json.contacts).toEqual([{ input: '4915112345678', wa_id: '4915112345678' }]);
      expect(answer.json.messages[0].message_status).toBe('accepted');
    }
    // 360dialog's smart routing (on by default) sends a marketing template given to /messages through MM.
    expect(sandbox.messages().map((m) => [m.route, m.deliveredVia])).toEqual([
      ['cloud', 'lite'],
      ['cloud', 'lite'],
    ]);
  });

  it('accepts the /marketing/marketing_messages alias and a Bearer-prefixed key', async () => {
    const answer = await post('/marketing/marketing_messages', litePayload(), { key: `Bearer ${MAIN}` });
    expect(answer.status).toBe(200);
    expect(sandbox.messages()[0]?.route).toBe('lite');
  });

  it('gives every message its own wamid', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post('/marketing_messages', litePayload({ to: `49151000${String(i).padStart(5, '0')}` }))),
    );
    const ids = answers.map((a) => a.json.messages[0].id as string);
    expect(new Set(ids).size).toBe(60);
  });

  it('marks meta-fallback channels as delivered via cloud', async () => {
    const answer = await post('/marketing_messages', litePayload(), { key: FALLBACK });
    expect(answer.status).toBe(200);
    expect(sandbox.messages()[0]).toMatchObject({ route: 'lite', deliveredVia: 'cloud', channel: '100000000000003' });
  });
});

describe('authentication', () => {
  it.each([
    ['/marketing_messages', null],
    ['/marketing_messages', 'wrong-key'],
    ['/messages', null],
    ['/messages', 'wrong-key'],
  ])('%s with key %s answers 401 in the plain envelope', async (path, key) => {
    const answer = await post(path, litePayload(), { key });
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ error: 'Invalid api token.' });
    expect(sandbox.stats().rejectedByCode).toEqual({ http_401: 1 });
  });
});

describe('payload validation', () => {
  it.each(['product_policy', 'message_activity_sharing', 'message_send_ttl_seconds'])(
    'rejects the lite-only field %s on /messages with 100',
    async (field) => {
      const value = { product_policy: 'CLOUD_API_FALLBACK', message_activity_sharing: false, message_send_ttl_seconds: 86_400 }[field];
      const answer = await post('/messages', { ...cloudPayload(), [field]: value });
      expect(answer.status).toBe(400);
      const error = metaError(answer, 'meta');
      expect(error.code).toBe(100);
      expect(error.error_data.details).toBe(`Unexpected key "${field}" on /messages`);
    },
  );

  it('rejects keys MM Lite does not know, in the wrapped envelope', async () => {
    const answer = await post('/marketing_messages', litePayload({ context: { message_id: 'x' } }));
    expect(answer.status).toBe(400);
    const error = metaError(answer, 'wrapped');
    expect(error.code).toBe(100);
    expect(error.error_data.details).toContain('context');
  });

  it.each([
    [43_199, 400],
    [43_200, 200],
    [2_592_000, 200],
    [2_592_001, 400],
    [86_400.5, 400],
    ['86400', 400],
  ])('message_send_ttl_seconds %s answers %i', async (ttl, status) => {
    const answer = await post('/marketing_messages', litePayload({ message_send_ttl_seconds: ttl }));
    expect(answer.status).toBe(status);
    if (status === 400) {
      const error = metaError(answer, 'wrapped');
      expect(error.code).toBe(100);
      expect(error.error_data.details).toContain('message_send_ttl_seconds');
    }
  });

  it.each([
    ['recipient_type missing', litePayload({ recipient_type: undefined }), 'recipient_type'],
    ['policy missing', litePayload({}, { language: { code: 'en' } }), 'template.language.policy'],
    ['to with a plus', litePayload({ to: '+4915112345678' }), 'to'],
    ['to missing', litePayload({ to: undefined }), 'to'],
    ['wrong messaging_product', litePayload({ messaging_product: 'sms' }), 'messaging_product'],
    // 360dialog's documented answer to a non-template on MM (fixtures/error-bodies.ts NOT_A_TEMPLATE_MESSAGE).
    ['type text', litePayload({ type: 'text' }), 'Message must be a template message.'],
    ['template name missing', litePayload({}, { name: undefined }), 'template.name'],
    ['language code missing', litePayload({}, { language: { policy: 'deterministic' } }), 'template.language.code'],
  ])('rejects %s on /marketing_messages with 100 naming the field', async (_name, payload, field) => {
    const answer = await post('/marketing_messages', payload);
    expect(answer.status).toBe(400);
    const error = metaError(answer, 'wrapped');
    expect(error.code).toBe(100);
    expect(error.error_data.details).toContain(field);
  });

  it('does not require recipient_type or policy on /messages', async () => {
    const answer = await post('/messages', cloudPayload({ recipient_type: undefined }, { language: { code: 'en' } }));
    expect(answer.status).toBe(200);
  });

  it('answers 100 for a body that is not JSON', async () => {
    const answer = await post('/messages', '{not json');
    expect(metaError(answer, 'meta').code).toBe(100);
  });
});

describe('templates', () => {
  it.each([
    ['an unknown template', { name: 'nope' }, 132001, 404],
    ['an unknown language', { language: { policy: 'deterministic', code: 'fr' } }, 132001, 404],
    ['a paused template', { name: 'paused_promo', components: [] }, 132015, 400],
    ['a disabled template', { name: 'disabled_promo', components: [] }, 132016, 400],
    ['too few body parameters', { components: [] }, 132000, 400],
    ['too many body parameters', { components: [{ type: 'body', parameters: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] }, 132000, 400],
  ])('refuses %s with %i on both routes', async (_name, template, code, status) => {
    const lite = await post('/marketing_messages', litePayload({}, template));
    expect(lite.status).toBe(status);
    expect(metaError(lite, 'wrapped').code).toBe(code);
    const cloud = await post('/messages', cloudPayload({}, template));
    expect(cloud.status).toBe(status);
    expect(metaError(cloud, 'meta').code).toBe(code);
  });

  it('counts parameters of the body component only', async () => {
    const answer = await post(
      '/messages',
      cloudPayload({}, {
        name: 'two_params',
        language: { policy: 'deterministic', code: 'de' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: 'h' }] },
          { type: 'body', parameters: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        ],
      }),
    );
    expect(answer.status).toBe(200);
  });

  it('refuses a utility template on MM Lite with 131055 "Only marketing template messages are supported" but sends it via /messages', async () => {
    const template = { name: 'order_update', components: [] };
    const lite = await post('/marketing_messages', litePayload({}, template));
    expect(lite.status).toBe(400);
    const error = metaError(lite, 'wrapped');
    expect(error.code).toBe(131055);
    expect(error.message).toBe('(#131055) Method not allowed');
    expect(error.error_data.details).toBe('Only marketing template messages are supported');
    const cloud = await post('/messages', cloudPayload({}, template));
    expect(cloud.status).toBe(200);
  });
});

describe('MM Lite eligibility', () => {
  it('refuses every /marketing_messages call of a not-onboarded channel with 131055, while /messages works', async () => {
    const lite = await post('/marketing_messages', litePayload(), { key: NOT_ONBOARDED });
    expect(lite.status).toBe(400);
    // 360dialog's documented not-onboarded body: the terms text is the message, no error_data shown.
    const error = lite.json.detail.error;
    expect(error.code).toBe(131055);
    expect(error.message).toBe('(#200) You must accept the Marketing Messages Lite API terms to use the API');
    const cloud = await post('/messages', cloudPayload(), { key: NOT_ONBOARDED });
    expect(cloud.status).toBe(200);
    expect(sandbox.stats().rejectedByCode).toEqual({ 131055: 1 });
  });

  it.each(['4930123456789', '4917000000001'])('answers selected recipient %s with the real 131009 (template not synced) on lite only', async (to) => {
    const lite = await post('/marketing_messages', litePayload({ to }));
    expect(lite.status).toBe(400);
    const error = metaError(lite, 'wrapped');
    expect(error.code).toBe(131009);
    expect(error.error_data.details).toMatch(/not yet available for Marketing Messages Lite API/);
    expect((await post('/messages', cloudPayload({ to }))).status).toBe(200);
  });

  it('applies recipient errors to their endpoint only', async () => {
    const cloud = await post('/messages', cloudPayload({ to: '447700900123' }));
    expect(cloud.status).toBe(400);
    expect(metaError(cloud, 'meta').code).toBe(131026);
    expect((await post('/marketing_messages', litePayload({ to: '447700900123' }))).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('answers 130429 beyond the channel mps and reports the exact busiest second', async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => post('/messages', cloudPayload({ to: `4916000000${String(i).padStart(3, '0')}` }), { key: SLOW_NUMBER })),
    );
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status !== 200);
    expect(ok).toHaveLength(20);
    expect(limited).toHaveLength(10);
    for (const answer of limited) {
      expect(answer.status).toBe(400);
      const error = metaError(answer, 'meta');
      expect(error.code).toBe(130429);
      expect(error.message).toBe('(#130429) Rate limit hit');
    }
    const stats = sandbox.stats().perChannel['100000000000004'];
    expect(stats).toEqual({ maxRequestsInAnySecond: 30, maxAcceptedInAnySecond: 20, requests: 30, accepted: 20 });
    expect(sandbox.stats().rejectedByCode).toEqual({ 130429: 10 });
  });

  it('counts both endpoints in the same window and lets everything through when enforcement is off', async () => {
    sandbox.configure({ enforceMps: false });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0
          ? post('/messages', cloudPayload({ to: `4916100000${String(i).padStart(3, '0')}` }), { key: SLOW_NUMBER })
          : post('/marketing_messages', litePayload({ to: `4916100000${String(i).padStart(3, '0')}` }), { key: SLOW_NUMBER }),
      ),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(sandbox.stats().perChannel['100000000000004']?.maxRequestsInAnySecond).toBe(30);
  });

  it('enforces the pair limit per recipient, counting accepted messages only', async () => {
    sandbox.configure({ pairLimit: { burst: 3, refillSeconds: 60 } });
    const to = '4915200000001';
    // A refused request must not use up the pair budget.
    expect((await post('/messages', cloudPayload({ to }, { components: [] }))).status).toBe(400);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post('/messages', cloudPayload({ to, biz_opaque_callback_data: `m${i}` }))).status);
    expect(statuses).toEqual([200, 200, 200, 400]);
    const limited = await post('/marketing_messages', litePayload({ to }));
    expect(metaError(limited, 'wrapped').code).toBe(131056);
    expect((await post('/messages', cloudPayload({ to: '4915200000002' }))).status).toBe(200);
  });
});

describe('faults', () => {
  it('answers HTTP 500 with a Meta 131000 body by default, and plain text for 503', async () => {
    sandbox.setFaults([{ effect: { type: 'http', status: 500 }, count: 1 }, { effect: { type: 'http', status: 503 }, count: 1 }]);
    const first = await post('/marketing_messages', litePayload());
    expect(first.status).toBe(500);
    expect(first.json.error).toMatchObject({ message: 'Internal error', code: 131000 });
    const second = await post('/marketing_messages', litePayload());
    expect(second.status).toBe(503);
    expect(second.text).toBe('Service Unavailable');
    expect((await post('/marketing_messages', litePayload())).status).toBe(200);
    expect(sandbox.messages()).toHaveLength(1);
    expect(sandbox.stats().faultsApplied).toEqual({ http: 2 });
  });

  it.each(['meta', 'wrapped', 'plain'] as const)('injects an error code in the %s envelope', async (envelope) => {
    sandbox.setFaults([{ effect: { type: 'error', code: 131048, envelope, details: 'spam' } }]);
    const answer = await post('/messages', cloudPayload());
    expect(answer.status).toBe(400);
    if (envelope === 'plain') expect(answer.json).toEqual({ error: '(#131048) Spam rate limit hit' });
    else expect(metaError(answer, envelope)).toMatchObject({ code: 131048, error_data: { details: 'spam' } });
  });

  it('uses the catalogue status and the route envelope by default', async () => {
    sandbox.setFaults([{ effect: { type: 'error', code: 131000 } }]);
    const lite = await post('/marketing_messages', litePayload());
    expect(lite.status).toBe(500);
    expect(metaError(lite, 'wrapped').code).toBe(131000);
    const cloud = await post('/messages', cloudPayload());
    expect(metaError(cloud, 'meta').code).toBe(131000);
  });

  it("answers 360dialog's rate limit with Retry-After", async () => {
    sandbox.setFaults([{ effect: { type: 'd360-rate-limit' }, count: 1 }, { effect: { type: 'd360-rate-limit', retryAfterSeconds: 7 }, count: 1 }]);
    const first = await post('/messages', cloudPayload());
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(first.json).toEqual({ error: 'You have exceeded the endpoint rate limit' });
    const second = await post('/messages', cloudPayload());
    expect(second.headers.get('retry-after')).toBe('7');
  });

  it('hangs without accepting, until the client gives up', async () => {
    sandbox.setFaults([{ effect: { type: 'hang' }, count: 1 }]);
    await expect(post('/marketing_messages', litePayload(), { timeoutMs: 300 })).rejects.toThrow();
    expect(sandbox.messages()).toHaveLength(0);
    expect((await post('/marketing_messages', litePayload())).status).toBe(200);
  });

  it('hangs for ms and then answers 504 without accepting', async () => {
    sandbox.setFaults([{ effect: { type: 'hang', ms: 150 }, count: 1 }]);
    const order: string[] = [];
    const hung = post('/marketing_messages', litePayload()).then((answer) => (order.push('hung'), answer));
    await waitFor(() => sandbox.stats().requests === 1);
    // A request that arrives later, without the fault, is answered first: the first one was held.
    const normal = await post('/marketing_messages', litePayload({ to: '4915112345679' })).then((answer) => (order.push('normal'), answer));
    const answer = await hung;
    expect(answer.status).toBe(504);
    expect(normal.status).toBe(200);
    expect(order).toEqual(['normal', 'hung']);
    expect(sandbox.stats().faultsApplied).toMatchObject({ hang: 1 });
    expect(sandbox.messages().map((m) => m.to)).toEqual(['4915112345679']);
  });

  it('accepts and records a message whose answer is lost', async () => {
    sandbox.setFaults([{ effect: { type: 'hang-after-accept' }, count: 1 }]);
    await expect(post('/marketing_messages', litePayload(), { timeoutMs: 300 })).rejects.toThrow();
    expect(sandbox.messages()).toHaveLength(1);
    expect(sandbox.stats().accepted).toBe(1);
  });

  it('accepts and answers late with hang-after-accept ms', async () => {
    sandbox.setFaults([{ effect: { type: 'hang-after-accept', ms: 150 }, count: 1 }]);
    const pending = post('/marketing_messages', litePayload());
    await waitFor(() => sandbox.messages().length === 1);
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(answer.json.messages[0].id).toBe(sandbox.messages()[0]?.wamid);
  });

  it('answers normally after a slow delay', async () => {
    sandbox.setFaults([{ effect: { type: 'slow', ms: 200 }, count: 1 }]);
    const order: string[] = [];
    const slow = post('/messages', cloudPayload()).then((answer) => (order.push('slow'), answer));
    await waitFor(() => sandbox.stats().requests === 1);
    // A later request without the fault overtakes the slowed one.
    await post('/messages', cloudPayload({ to: '4915112345679' })).then(() => order.push('normal'));
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(order).toEqual(['normal', 'slow']);
    expect(sandbox.stats().faultsApplied).toMatchObject({ slow: 1 });
    expect(sandbox.messages()).toHaveLength(2);
  });

  it('resets the connection without accepting', async () => {
    sandbox.setFaults([{ effect: { type: 'reset' }, count: 1 }]);
    await expect(post('/messages', cloudPayload())).rejects.toThrow();
    expect(sandbox.messages()).toHaveLength(0);
    expect((await post('/messages', cloudPayload())).status).toBe(200);
  });

  it('answers 200 with a body that is not JSON', async () => {
    sandbox.setFaults([{ effect: { type: 'invalid-json' } }]);
    const answer = await post('/messages', cloudPayload());
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('<html>Bad Gateway</html>');
    expect(answer.json).toBeUndefined();
    expect(sandbox.messages()).toHaveLength(0);
  });

  it('filters by endpoint, channel and recipient, first matching rule wins', async () => {
    sandbox.setFaults([
      { endpoint: 'lite', to: '4930*', effect: { type: 'http', status: 502 } },
      { channel: FALLBACK, effect: { type: 'http', status: 503 } },
      { endpoint: 'lite', effect: { type: 'http', status: 500 } },
    ]);
    expect((await post('/marketing_messages', litePayload({ to: '4930111111111' }))).status).toBe(502);
    expect((await post('/marketing_messages', litePayload(), { key: FALLBACK })).status).toBe(503);
    expect((await post('/messages', cloudPayload(), { key: FALLBACK })).status).toBe(503);
    expect((await post('/marketing_messages', litePayload())).status).toBe(500);
    expect((await post('/messages', cloudPayload())).status).toBe(200);
  });

  it('fires a rate-limited rule on about its share of requests, reproducibly', async () => {
    const run = async () => {
      sandbox.reset();
      sandbox.setFaults([{ rate: 0.3, effect: { type: 'http', status: 500 } }]);
      const statuses: number[] = [];
      for (let i = 0; i < 100; i++) statuses.push((await post('/messages', cloudPayload({ to: `4915300000${String(i).padStart(3, '0')}` }))).status);
      return statuses;
    };
    const first = await run();
    const failed = first.filter((s) => s === 500).length;
    expect(failed).toBeGreaterThan(15);
    expect(failed).toBeLessThan(45);
    expect(await run()).toEqual(first);
  });

  it('validates fault rules posted over HTTP and reports every problem', async () => {
    const answer = await post('/_sandbox/faults', [{ rate: 2, effect: { type: 'http' } }, { effect: { type: 'nope' } }]);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toContain('0.rate');
    expect(answer.json.error).toContain('0.effect.status');
    expect(answer.json.error).toContain('1.effect.type');
    const ok = await post('/_sandbox/faults', { faults: [{ count: 1, effect: { type: 'http', status: 502 } }] });
    expect(ok.status).toBe(200);
    expect((await post('/messages', cloudPayload())).status).toBe(502);
  });
});

describe('control API', () => {
  it('lists accepted messages incrementally', async () => {
    for (let i = 0; i < 3; i++) await post('/messages', cloudPayload({ to: `491540000000${i}` }));
    const all = await get('/_sandbox/messages');
    expect(all.json.messages.map((m: { to: string }) => m.to)).toEqual(['4915400000000', '4915400000001', '4915400000002']);
    expect(all.json.next).toBe(3);
    const later = await get('/_sandbox/messages?since=2');
    expect(later.json.messages).toHaveLength(1);
    expect(later.json.messages[0].to).toBe('4915400000002');
    expect(sandbox.messages(3)).toEqual([]);
  });

  it('counts duplicates by channel, recipient and callback data', async () => {
    await post('/marketing_messages', litePayload({ biz_opaque_callback_data: 'lc1:c:1' }));
    await post('/messages', cloudPayload({ biz_opaque_callback_data: 'lc1:c:1' }));
    await post('/messages', cloudPayload({ biz_opaque_callback_data: 'lc1:c:1' }));
    await post('/messages', cloudPayload({ biz_opaque_callback_data: 'lc1:c:2' }));
    await post('/messages', cloudPayload({ biz_opaque_callback_data: 'lc1:c:1' }), { key: FALLBACK });
    const stats = (await get('/_sandbox/stats')).json;
    expect(stats.duplicates).toBe(2);
    expect(stats.accepted).toBe(5);
    expect(stats.byRoute).toEqual({ lite: 1, cloud: 4 });
  });

  it('reports requests and rejections by code', async () => {
    await post('/marketing_messages', litePayload());
    await post('/marketing_messages', litePayload({}, { name: 'nope' }));
    await post('/marketing_messages', litePayload(), { key: NOT_ONBOARDED });
    await post('/messages', cloudPayload(), { key: 'bad' });
    const stats = sandbox.stats();
    expect(stats.requests).toBe(4);
    expect(stats.accepted).toBe(1);
    expect(stats.rejectedByCode).toEqual({ 132001: 1, 131055: 1, http_401: 1 });
    expect(stats.perChannel['100000000000001']).toMatchObject({ requests: 2, accepted: 1 });
  });

  it('merges configuration over HTTP and rejects invalid fields with their paths', async () => {
    const bad = await post('/_sandbox/config', { templates: [{ name: '' }], webhook: { readRate: 3 }, bogus: 1 });
    expect(bad.status).toBe(400);
    for (const path of ['templates.0.name', 'webhook.readRate', 'bogus']) expect(bad.json.error).toContain(path);
    const good = await post('/_sandbox/config', { templates: [{ name: 'spring_sale', language: 'pt_BR' }], webhook: { readRate: 0 } });
    expect(good.status).toBe(200);
    expect(good.json.config.webhook).toMatchObject({ readRate: 0, clickRate: 0.2 });
    const answer = await post('/marketing_messages', litePayload({}, { name: 'spring_sale', language: { policy: 'deterministic', code: 'pt_BR' }, components: [] }));
    expect(answer.status).toBe(200);
    sandbox.reset();
    expect(sandbox.config.templates.map((t) => t.name)).toContain('litecast_promo');
  });

  it('reset clears messages, stats and faults', async () => {
    sandbox.setFaults([{ to: '4999*', effect: { type: 'http', status: 500 } }]);
    await post('/messages', cloudPayload());
    expect((await post('/_sandbox/reset', {})).status).toBe(200);
    expect(sandbox.messages()).toEqual([]);
    expect(sandbox.stats()).toMatchObject({ accepted: 0, requests: 0, perChannel: {}, duplicates: 0 });
    expect((await post('/messages', cloudPayload({ to: '4999123456789' }))).status).toBe(200);
  });

  it('delays successful answers by latencyMs, not refusals', async () => {
    sandbox.configure({ latencyMs: 150 });
    const order: string[] = [];
    const accepted = post('/messages', cloudPayload()).then((answer) => (order.push('accepted'), answer));
    await waitFor(() => sandbox.stats().requests === 1);
    // The refusal, sent after the success, is answered before it: only successes wait.
    expect((await post('/messages', cloudPayload({}, { name: 'nope' }))).status).toBe(404);
    order.push('refused');
    expect((await accepted).status).toBe(200);
    expect(order).toEqual(['refused', 'accepted']);
  });

  it('closes promptly with a request still hanging', async () => {
    const other = await createSandbox({ config: { faults: [{ effect: { type: 'hang' } }] } });
    const hanging = fetch(`${other.url}/messages`, { method: 'POST', headers: { 'D360-API-KEY': 'sandbox-key' }, body: '{}' }).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => other.stats().requests === 1);
    // The hang never ends on its own: close() resolving at all shows it does not wait for it.
    await other.close();
    expect(await hanging).toBe('failed');
  });

  it('answers 404 for unknown routes', async () => {
    const answer = await get('/_sandbox/unknown');
    expect(answer.status).toBe(404);
  });
});

