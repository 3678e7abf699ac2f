/**
 * `litecast channel webhook <id> --url URL` against the sandbox over HTTP: 360dialog's
 * `POST /v1/configs/webhook` with the secret header, confirmed by reading the configuration back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookUrlFor } from '../../src/cli/commands/channel.ts';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { runCli } from '../support/run-cli-in-process.ts';
import { childEnv } from '../support/test-env.ts';

let f: PipelineFixture;
beforeAll(async () => {
  f = await createPipelineFixture({ mps: 50 });
});
afterAll(async () => {
  await f.close();
});

describe('litecast channel webhook', () => {
  it("sets the channel's webhook with the secret header and prints what 360dialog holds", async () => {
    const env = childEnv(f.config, { LOG_LEVEL: 'warn', LITECAST_WEBHOOK_SECRET: 'cli-hook-secret' });
    const result = await runCli(['channel', 'webhook', 'main', '--url', 'https://litecast.example.com', '--json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ channelId: 'main', url: 'https://litecast.example.com/webhooks/360dialog/main', headers: ['x-litecast-webhook-secret'] });
    // The sandbox now posts this channel's webhooks there, with the secret.
    const apiKey = (await f.ctx.channels.loadWithKey('main')).apiKey;
    const current = await fetch(`${f.sandbox.url}/v1/configs/webhook`, { headers: { 'D360-API-KEY': apiKey } });
    expect(await current.json()).toMatchObject({ url: 'https://litecast.example.com/webhooks/360dialog/main', headers: { 'x-litecast-webhook-secret': 'cli-hook-secret' } });
  });

  it('refuses without LITECAST_WEBHOOK_SECRET, for an unknown channel, and for a URL that is not one', async () => {
    const noSecret = await runCli(['channel', 'webhook', 'main', '--url', 'https://litecast.example.com'], childEnv(f.config, { LOG_LEVEL: 'warn', LITECAST_WEBHOOK_SECRET: '' }));
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stderr).toContain('LITECAST_WEBHOOK_SECRET');
    const env = childEnv(f.config, { LOG_LEVEL: 'warn', LITECAST_WEBHOOK_SECRET: 'cli-hook-secret' });
    const unknown = await runCli(['channel', 'webhook', 'ghost', '--url', 'https://litecast.example.com'], env);
    expect(unknown.stderr).toContain('Unknown channel "ghost"');
    const bad = await runCli(['channel', 'webhook', 'main', '--url', 'not a url'], env);
    expect(bad.stderr).toContain('--url not a url: not a URL');
  });

  it('keeps a URL that has a path as given', () => {
    expect(webhookUrlFor('https://hooks.example.com/in/360', 'main')).toBe('https://hooks.example.com/in/360');
    expect(webhookUrlFor('https://hooks.example.com', 'a b')).toBe('https://hooks.example.com/webhooks/360dialog/a%20b');
  });
});
