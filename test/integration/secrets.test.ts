/**
 * Invariant 7: a whole campaign with debug logging in the API and two worker processes, and no
 * API key, token or full phone number in any log line or API response.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createPipelineFixture, PROMO_COMPONENTS, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { startLitecast } from '../support/spawn-litecast.ts';
import { childEnv } from '../support/test-env.ts';

const TOKEN = 'TOKEN-9f8e7d6c5b4a39281706';
const CHANNEL_KEY = 'D360-KEY-abcdef0123456789';
const WEBHOOK_SECRET = 'HOOK-SECRET-24680';
let fixture: PipelineFixture | undefined;

afterAll(async () => {
  await fixture?.close();
});

describe('secrets stay secret', () => {
  it('no key, token or full phone number in debug logs or API responses during a whole campaign', async () => {
    fixture = await createPipelineFixture({
      mps: 200,
      env: { LITECAST_SECRET_KEY: 'encryption-key-for-this-test', LOG_LEVEL: 'debug' },
      sandboxConfig: { liteIneligibleRecipients: ['55*'], recipientErrors: [{ match: '4479*', code: 131026 }], faults: [{ rate: 0.1, effect: { type: 'http', status: 500 } }] },
    });
    const f = fixture;
    const env = childEnv(f.config, { LOG_LEVEL: 'debug', LITECAST_API_TOKEN: TOKEN, LITECAST_WEBHOOK_SECRET: WEBHOOK_SECRET, LITECAST_SECRET_KEY: 'encryption-key-for-this-test' });
    const api = await startLitecast(['api', '--port', '0', '--host', '127.0.0.1'], env, 'listening on');
    const workers = await Promise.all([startLitecast(['worker'], env, 'worker ready'), startLitecast(['worker'], env, 'worker ready')]);
    const url = /listening on (http:\/\/\S+)/.exec(api.output())?.[1] as string;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const responses: string[] = [];
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      responses.push(text);
      return text;
    };

    await call('POST', '/v1/channels', { id: 'secret-ch', baseUrl: f.sandbox.url, apiKey: CHANNEL_KEY, mps: 200 });
    f.sandbox.configure({ channels: [...f.sandbox.config.channels.map((c) => ({ apiKey: c.apiKey, mps: c.mps })), { apiKey: CHANNEL_KEY, mps: 200 }] });
    const phones = Array.from({ length: 60 }, (_, i) => (i % 10 === 0 ? `5511${String(i).padStart(8, '0')}` : i % 7 === 0 ? `4479${String(i).padStart(8, '0')}` : `4477${String(i).padStart(8, '0')}`));
    const created = JSON.parse(
      await call('POST', '/v1/campaigns', { channelId: 'secret-ch', template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS }, recipients: [...phones.map((phone) => ({ phone, name: 'N' })), { phone: 'bad-number', name: 'x' }] }),
    ) as { id: string };
    await f.waitForState(created.id, 'completed', 30_000);
    await call('GET', `/v1/campaigns/${created.id}`);
    await call('GET', '/v1/campaigns');
    await call('GET', '/v1/channels');
    await call('POST', `/v1/campaigns/${created.id}/retry`);
    const metrics = await fetch(`${url}/metrics`, { headers });
    responses.push(await metrics.text());

    expect(await f.ctx.campaigns.counts(created.id)).toMatchObject({ sent: 60 - phones.filter((p) => p.startsWith('4479')).length });
    for (const w of workers) w.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    await Promise.all([...workers.map((w) => w.exited), api.exited]);

    const logs = [api.output(), ...workers.map((w) => w.output())].join('\n');
    const logLines = logs.split('\n').filter((line) => line.startsWith('{'));
    // The logs really are at debug level and mention every send (masked).
    expect(logLines.filter((line) => line.includes('"send finished"')).length).toBeGreaterThanOrEqual(60);
    expect(logs).toContain('*********');
    const everything = `${logs}\n${responses.join('\n')}`;
    for (const secret of [TOKEN, CHANNEL_KEY, WEBHOOK_SECRET, 'encryption-key-for-this-test', ...phones]) {
      expect(everything.includes(secret), `found ${secret.slice(0, 6)}… in a log line or response`).toBe(false);
    }
  }, 90_000);
});
