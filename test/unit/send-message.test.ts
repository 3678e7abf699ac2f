import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/dialog360/classify-send-error.ts';
import { createLiteEligibilityMemory } from '../../src/dialog360/lite-eligibility-memory.ts';
import type { MessagePayload } from '../../src/dialog360/message-payload.ts';
import type { OutboundMessage, Route } from '../../src/shared/outbound-message.ts';
import type { SendResponse } from '../../src/dialog360/parse-response.ts';
import { sendMessage, type SendPolicy, type SendPorts } from '../../src/dialog360/send-message.ts';

const message: OutboundMessage = {
  to: '4915112345678',
  template: { name: 'promo', language: 'en' },
  ttlSeconds: 43_200,
  activitySharing: true,
  callbackData: 'lc1:cmp_1:4915112345678',
};

const policy: SendPolicy = { maxAttempts: 4, baseDelayMs: 0, maxDelayMs: 0, onAmbiguousTimeout: 'unknown' };

const ok = (id = 'wamid.1'): SendResponse => ({ kind: 'accepted', status: 200, wamid: id, messageStatus: 'accepted' });
const metaError = (code: number, status = 400): SendResponse => ({ kind: 'rejected', status, error: { envelope: 'meta', code } });
const wrapped = (code: number): SendResponse => ({ kind: 'rejected', status: 400, error: { envelope: 'd360-wrapped', code } });

/** A scripted client: answers in order, records every call. */
function scriptedClient(answers: SendResponse[]) {
  const calls: Array<{ route: Route; payload: MessagePayload }> = [];
  return {
    calls,
    client: {
      send: async (route: Route, payload: MessagePayload) => {
        calls.push({ route, payload });
        const next = answers.shift();
        if (!next) throw new Error('no scripted answer left');
        return next;
      },
    },
  };
}

describe('sendMessage', () => {
  it('sends lite first and reports route, wamid and one attempt', async () => {
    const { client, calls } = scriptedClient([ok('wamid.A')]);
    const result = await sendMessage({ client }, policy, message, 'lite');
    expect(result).toEqual({ status: 'sent', route: 'lite', wamid: 'wamid.A', messageStatus: 'accepted', attempts: 1, fellBack: false });
    expect(calls.map((c) => c.route)).toEqual(['lite']);
    expect(calls[0]?.payload.message_send_ttl_seconds).toBe(43_200);
  });

  it('sends straight to cloud, without lite-only fields, when the route is cloud', async () => {
    const { client, calls } = scriptedClient([ok()]);
    const result = await sendMessage({ client }, policy, message, 'cloud');
    expect(result).toMatchObject({ status: 'sent', route: 'cloud', fellBack: false });
    expect(calls[0]?.payload).not.toHaveProperty('message_send_ttl_seconds');
    expect(calls[0]?.payload).not.toHaveProperty('message_activity_sharing');
  });

  it('retries a 500 and succeeds on the next attempt', async () => {
    const { client } = scriptedClient([metaError(131000, 500), ok()]);
    expect(await sendMessage({ client }, policy, message, 'lite')).toMatchObject({ status: 'sent', attempts: 2, route: 'lite' });
  });

  it('stops after maxAttempts and reports the last error as failed', async () => {
    const { client, calls } = scriptedClient([metaError(131000, 500), metaError(131016, 503), metaError(2, 503), metaError(131000, 500)]);
    const result = await sendMessage({ client }, policy, message, 'lite');
    expect(result).toMatchObject({ status: 'failed', attempts: 4, verdict: { class: 'retry', code: '131000' } });
    expect(calls).toHaveLength(4);
  });

  it('falls back once to cloud on an eligibility refusal and records why', async () => {
    const { client, calls } = scriptedClient([wrapped(131009), ok('wamid.C')]);
    const result = await sendMessage({ client }, policy, message, 'lite');
    expect(result).toEqual({
      status: 'sent',
      route: 'cloud',
      wamid: 'wamid.C',
      messageStatus: 'accepted',
      attempts: 2,
      fellBack: true,
      fallback: { code: '131009', reason: expect.any(String), remembered: false },
    });
    expect(calls.map((c) => c.route)).toEqual(['lite', 'cloud']);
    expect(calls[1]?.payload).not.toHaveProperty('message_send_ttl_seconds');
    expect(calls[1]?.payload.biz_opaque_callback_data).toBe(message.callbackData);
  });

  it('a cloud 131009 after a fallback is fatal (a template or parameter bug), not another fallback', async () => {
    const { client, calls } = scriptedClient([wrapped(131009), metaError(131009)]);
    expect(await sendMessage({ client }, policy, message, 'lite')).toMatchObject({ status: 'fatal', route: 'cloud', fellBack: true, verdict: { code: '131009' } });
    expect(calls).toHaveLength(2);
  });

  it('never falls back on throttling or per-user caps', async () => {
    const { client, calls } = scriptedClient([metaError(130429), metaError(131049)]);
    const result = await sendMessage({ client, sleep: async () => undefined }, policy, message, 'lite');
    expect(result).toMatchObject({ status: 'failed', route: 'lite', fellBack: false, verdict: { class: 'recipient', code: '131049' } });
    expect(calls.every((c) => c.route === 'lite')).toBe(true);
  });

  it('a throttle goes to the channel (onThrottle) and does not use up attempts', async () => {
    const throttles: Verdict[] = [];
    const { client } = scriptedClient([metaError(130429), metaError(130429), metaError(130429), metaError(130429), metaError(130429), ok()]);
    const ports: SendPorts = { client, onThrottle: (v) => void throttles.push(v) };
    const result = await sendMessage(ports, { ...policy, maxAttempts: 2 }, message, 'lite');
    expect(result).toMatchObject({ status: 'sent', attempts: 6 });
    expect(throttles.map((t) => t.code)).toEqual(['130429', '130429', '130429', '130429', '130429']);
  });

  it('a recipient error is a failed outcome with its code, after one attempt', async () => {
    const { client } = scriptedClient([metaError(131026)]);
    expect(await sendMessage({ client }, policy, message, 'lite')).toMatchObject({ status: 'failed', attempts: 1, verdict: { class: 'recipient', code: '131026' } });
  });

  it('a fatal 401 stops at once', async () => {
    const { client } = scriptedClient([{ kind: 'rejected', status: 401, error: { envelope: 'd360-plain', message: 'Invalid api token.' } }]);
    expect(await sendMessage({ client }, policy, message, 'lite')).toMatchObject({ status: 'fatal', attempts: 1, verdict: { code: 'D360_INVALID_API_KEY' } });
  });

  it('an ambiguous timeout becomes unknown by default and is never re-sent', async () => {
    const { client, calls } = scriptedClient([{ kind: 'network', reason: 'timeout', ambiguous: true, message: 't' }, ok()]);
    expect(await sendMessage({ client }, policy, message, 'lite')).toMatchObject({ status: 'unknown', attempts: 1, verdict: { code: 'TIMEOUT' } });
    expect(calls).toHaveLength(1);
  });

  it('with onAmbiguousTimeout "retry" a timeout is retried', async () => {
    const { client } = scriptedClient([{ kind: 'network', reason: 'timeout', ambiguous: true, message: 't' }, ok()]);
    expect(await sendMessage({ client }, { ...policy, onAmbiguousTimeout: 'retry' }, message, 'lite')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a refused connection is retried (nothing reached the server)', async () => {
    const { client } = scriptedClient([{ kind: 'network', reason: 'connect', ambiguous: false, message: 'ECONNREFUSED' }, ok()]);
    expect(await sendMessage({ client }, policy, message, 'lite')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a refused connection backs the whole channel off, doubling, without using up attempts', async () => {
    const refused: SendResponse = { kind: 'network', reason: 'connect', ambiguous: false, message: 'ECONNREFUSED' };
    const { client } = scriptedClient([refused, refused, refused, refused, ok()]);
    const waits: Array<number | undefined> = [];
    const ports: SendPorts = { client, random: () => 0, onThrottle: (v) => void waits.push(v.waitMs) };
    const result = await sendMessage(ports, { ...policy, maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 10_000 }, message, 'lite');
    expect(result).toMatchObject({ status: 'sent', attempts: 5 });
    expect(waits).toEqual([100, 200, 400, 800]);
  });

  it('an outage longer than maxRetryTime ends as failed with the connect code', async () => {
    const refused: SendResponse = { kind: 'network', reason: 'connect', ambiguous: false, message: 'ECONNREFUSED' };
    const client = { send: async () => refused };
    const result = await sendMessage({ client, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) }, { ...policy, maxRetryTimeMs: 50 }, message, 'lite');
    expect(result).toMatchObject({ status: 'failed', verdict: { code: 'CONNECT', scope: 'channel' } });
  });

  it('waits 4^n seconds on the pair limit (capped by maxDelayMs)', async () => {
    const waits: number[] = [];
    const { client } = scriptedClient([metaError(131056), metaError(131056), metaError(131056), ok()]);
    const ports: SendPorts = { client, sleep: async (ms) => void waits.push(ms) };
    await sendMessage(ports, { ...policy, maxDelayMs: 10_000 }, message, 'lite');
    expect(waits).toEqual([1_000, 4_000, 10_000]);
  });

  it('posts nothing after the deadline: expired', async () => {
    const { client, calls } = scriptedClient([metaError(131000, 500), ok()]);
    let clock = 1_000;
    const ports: SendPorts = { client, now: () => clock, acquire: async () => void (clock += 600) };
    const result = await sendMessage(ports, { ...policy, deadline: 2_000 }, message, 'lite');
    expect(result).toMatchObject({ status: 'expired', attempts: 1 });
    expect(calls).toHaveLength(1);
  });

  it('an aborted signal before the POST leaves the message unsent (aborted)', async () => {
    const { client, calls } = scriptedClient([ok()]);
    const controller = new AbortController();
    controller.abort();
    expect(await sendMessage({ client }, { ...policy, signal: controller.signal }, message, 'lite')).toMatchObject({ status: 'aborted', attempts: 0 });
    expect(calls).toHaveLength(0);
  });

  it('remembers a channel that is not onboarded and skips lite until the memory expires', async () => {
    let clock = 0;
    const liteMemory = createLiteEligibilityMemory({ ttlMs: 60_000, now: () => clock });
    const { client, calls } = scriptedClient([wrapped(131055), ok('w1'), ok('w2'), ok('w3')]);
    const ports: SendPorts = { client, liteMemory };
    expect(await sendMessage(ports, policy, message, 'lite')).toMatchObject({ route: 'cloud', fellBack: true, fallback: { code: '131055', remembered: false } });
    expect(await sendMessage(ports, policy, { ...message, template: { name: 'other', language: 'en' } }, 'lite')).toMatchObject({
      route: 'cloud',
      fellBack: true,
      attempts: 1,
      fallback: { code: '131055', remembered: true },
    });
    clock = 60_001;
    expect(await sendMessage(ports, policy, message, 'lite')).toMatchObject({ route: 'lite', fellBack: false });
    expect(calls.map((c) => c.route)).toEqual(['lite', 'cloud', 'cloud', 'lite']);
  });

  it('remembers a template-level refusal for that template only', async () => {
    const liteMemory = createLiteEligibilityMemory({ ttlMs: 60_000 });
    const { client, calls } = scriptedClient([wrapped(134100), ok(), ok(), ok()]);
    const ports: SendPorts = { client, liteMemory };
    await sendMessage(ports, policy, message, 'lite');
    await sendMessage(ports, policy, message, 'lite');
    await sendMessage(ports, policy, { ...message, template: { name: 'other', language: 'en' } }, 'lite');
    expect(calls.map((c) => c.route)).toEqual(['lite', 'cloud', 'cloud', 'lite']);
  });

  it('waits for the limiter before every POST', async () => {
    const acquired: Route[] = [];
    const { client } = scriptedClient([wrapped(131009), ok()]);
    await sendMessage({ client, acquire: async (route) => void acquired.push(route) }, policy, message, 'lite');
    expect(acquired).toEqual(['lite', 'cloud']);
  });

  it('a send accepted while the signal fires is reported sent (never released for a re-send)', async () => {
    const controller = new AbortController();
    const client = {
      send: async () => {
        controller.abort();
        return ok('wamid.late');
      },
    };
    expect(await sendMessage({ client }, { ...policy, signal: controller.signal }, message, 'lite')).toMatchObject({ status: 'sent', wamid: 'wamid.late' });
  });

  it('the signal cuts a retry wait short: aborted, after one failed attempt', async () => {
    const controller = new AbortController();
    const { client, calls } = scriptedClient([metaError(131000, 500), ok()]);
    // The wait ends only through the signal it was given: a retry wait that ignored the signal
    // would never end (and the test would time out).
    const waits: Array<{ ms: number; cutBy: AbortSignal | undefined }> = [];
    const sleep = (ms: number, signal?: AbortSignal) => {
      waits.push({ ms, cutBy: signal });
      controller.abort();
      return new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })));
    };
    const result = await sendMessage({ client, sleep }, { ...policy, baseDelayMs: 5_000, maxDelayMs: 5_000, signal: controller.signal }, message, 'lite');
    expect(result).toMatchObject({ status: 'aborted', attempts: 1 });
    expect(waits).toEqual([{ ms: expect.any(Number) as number, cutBy: controller.signal }]);
    expect(waits[0]!.ms).toBeGreaterThanOrEqual(5_000);
    expect(calls).toHaveLength(1);
  });

  it('backs off exponentially with jitter, capped', async () => {
    const { backoffDelay } = await import('../../src/dialog360/retry-policy.ts');
    expect(backoffDelay({ baseDelayMs: 100, maxDelayMs: 10_000 }, 0, () => 0)).toBe(100);
    expect(backoffDelay({ baseDelayMs: 100, maxDelayMs: 10_000 }, 3, () => 0.5)).toBe(1_200);
    expect(backoffDelay({ baseDelayMs: 100, maxDelayMs: 1_000 }, 10, () => 0.99)).toBe(1_000);
  });

  it('claims the recipient once, after the limiter and right before the first POST; a refused claim posts nothing', async () => {
    const events: string[] = [];
    const { client, calls } = scriptedClient([metaError(131000, 500), wrapped(131009), ok()]);
    const ports: SendPorts = {
      client: { send: async (route, payload) => (events.push(`post:${route}`), client.send(route, payload)) },
      acquire: async (route) => void events.push(`acquire:${route}`),
      claim: async () => (events.push('claim'), true),
    };
    await sendMessage(ports, policy, message, 'lite');
    expect(events).toEqual(['acquire:lite', 'claim', 'post:lite', 'acquire:lite', 'post:lite', 'acquire:cloud', 'post:cloud']);
    const refused = await sendMessage({ client, claim: async () => false }, policy, message, 'lite');
    expect(refused).toMatchObject({ status: 'claimedElsewhere', attempts: 0 });
    expect(calls).toHaveLength(3);
  });
});
