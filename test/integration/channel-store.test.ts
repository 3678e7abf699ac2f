import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/shared/redis.ts';
import { createChannelStore } from '../../src/shared/channel-store.ts';
import { createKeys } from '../../src/shared/keys.ts';
import { createSecretBox } from '../../src/shared/secret-box.ts';
import { REDIS_URL, dropNamespace, testConfig } from '../support/test-env.ts';

const redis = createRedis(REDIS_URL);
let namespace = '';
afterEach(async () => {
  await dropNamespace(namespace);
});
afterAll(() => redis.disconnect());

function store(secret: string | undefined) {
  const config = testConfig();
  namespace = config.namespace;
  const keys = createKeys(config.namespace);
  return { keys, channels: createChannelStore(redis, keys, createSecretBox(secret)) };
}

describe('channel store', () => {
  it('stores the API key encrypted when a secret key is set, and never returns it from get or list', async () => {
    const { keys, channels } = store('secret-key-for-tests');
    const added = await channels.add({ id: 'shop-1', baseUrl: 'https://waba-v2.360dialog.io/', apiKey: 'D360-LIVE-KEY-123' });
    expect(added).toEqual({ id: 'shop-1', baseUrl: 'https://waba-v2.360dialog.io', mps: 80, createdAt: expect.any(Number), apiKeyEncrypted: true });
    const raw = await redis.hget(keys.channels, 'shop-1');
    expect(raw).not.toContain('D360-LIVE-KEY-123');
    expect(JSON.stringify(await channels.list())).not.toContain('D360-LIVE-KEY-123');
    expect(JSON.stringify(await channels.get('shop-1'))).not.toContain('D360-LIVE-KEY-123');
    expect((await channels.loadWithKey('shop-1')).apiKey).toBe('D360-LIVE-KEY-123');
  });

  it('without a secret key the key is stored as plain text, marked as such', async () => {
    const { channels } = store(undefined);
    expect((await channels.add({ id: 'c', baseUrl: 'http://127.0.0.1:9', apiKey: 'k', mps: 1000 })).apiKeyEncrypted).toBe(false);
  });

  it('refuses invalid input naming every field, duplicates, and unknown ids', async () => {
    const { channels } = store(undefined);
    await expect(channels.add({ id: 'bad id!', baseUrl: 'ftp://x', apiKey: ' ', mps: 0 })).rejects.toThrow(/id: .*baseUrl: .*apiKey: .*mps: /s);
    await channels.add({ id: 'c1', baseUrl: 'http://127.0.0.1:9', apiKey: 'k' });
    await expect(channels.add({ id: 'c1', baseUrl: 'http://127.0.0.1:9', apiKey: 'k' })).rejects.toMatchObject({ code: 'LITECAST_ERR_CHANNEL_EXISTS' });
    await expect(channels.get('nope')).rejects.toMatchObject({ code: 'LITECAST_ERR_UNKNOWN_CHANNEL' });
    await expect(channels.remove('nope')).rejects.toMatchObject({ code: 'LITECAST_ERR_UNKNOWN_CHANNEL' });
    await channels.remove('c1');
    expect(await channels.list()).toEqual([]);
  });
});
