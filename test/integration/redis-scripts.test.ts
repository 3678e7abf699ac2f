/**
 * The script loader and the Lua scripts outside the ledger and the webhook store, each against real
 * Redis: campaign transitions, intake batches, channel admission.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createCampaignStore } from '../../src/shared/campaign-store.ts';
import type { CampaignSpec } from '../../src/shared/campaign.ts';
import { createKeys } from '../../src/shared/keys.ts';
import { createRedis } from '../../src/shared/redis.ts';
import { defineScripts, loadLuaScript } from '../../src/shared/redis-scripts.ts';
import { createChannelAdmission } from '../../src/worker/channel-admission.ts';
import { REDIS_URL, dropNamespace, testConfig } from '../support/test-env.ts';

const redis = createRedis(REDIS_URL);
const namespaces: string[] = [];
afterEach(async () => {
  await Promise.all(namespaces.splice(0).map((ns) => dropNamespace(ns)));
});
afterAll(() => redis.disconnect());

function freshKeys() {
  const { namespace } = testConfig();
  namespaces.push(namespace);
  return createKeys(namespace);
}

const spec = (id: string): CampaignSpec => ({
  id,
  channelId: 'ch',
  template: { name: 't', language: 'en', components: [] },
  route: 'lite',
  startAt: 1,
  batchSize: 10,
  createdAt: 1,
});

describe('script loader', () => {
  it('names a command after its file and takes the key count from the name', () => {
    expect(loadLuaScript(new URL('../../src/ledger/confirm-unknown-3.lua', import.meta.url))).toMatchObject({ command: 'litecastConfirmUnknown', numberOfKeys: 3 });
    expect(() => loadLuaScript(new URL('../../src/ledger/ledger.ts', import.meta.url))).toThrow(/<number of keys>\.lua/);
  });

  it('refuses a call with the wrong number of keys', async () => {
    const run = defineScripts(redis, { claim: new URL('../../src/ledger/claim-1.lua', import.meta.url) });
    await expect(run('claim', ['a', 'b'], ['p', 'C|t'])).rejects.toThrow(/takes 1 keys, got 2/);
  });
});

describe('transition-campaign-2.lua', () => {
  it('moves between allowed states, stamps startedAt and finishedAt, keeps or clears the reason, and publishes', async () => {
    const keys = freshKeys();
    const campaigns = createCampaignStore(redis, keys);
    await campaigns.create(spec('c1'));
    const subscriber = createRedis(REDIS_URL);
    const published: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => published.push(message));
    await subscriber.subscribe(keys.campaignControl('c1'));
    try {
      expect(await campaigns.transition('c1', 'start')).toBe('scheduled');
      const started = await campaigns.require('c1');
      expect(started).toMatchObject({ state: 'running', startedAt: expect.any(Number) });
      expect(started.finishedAt).toBeUndefined();
      await campaigns.transition('c1', 'pause', '132015: template paused');
      expect(await campaigns.require('c1')).toMatchObject({ state: 'paused', reason: '132015: template paused' });
      await campaigns.transition('c1', 'resume');
      expect((await campaigns.require('c1')).reason).toBeUndefined();
      await campaigns.transition('c1', 'cancel');
      expect(await campaigns.require('c1')).toMatchObject({ state: 'cancelled', finishedAt: expect.any(Number), startedAt: started.startedAt });
      await expect(campaigns.transition('c1', 'resume')).rejects.toMatchObject({ code: 'LITECAST_ERR_INVALID_STATE', details: { state: 'cancelled' } });
      await expect(campaigns.transition('nope', 'pause')).rejects.toMatchObject({ code: 'LITECAST_ERR_UNKNOWN_CAMPAIGN' });
      await expect.poll(() => published).toEqual(['running', 'paused', 'running', 'cancelled']);
    } finally {
      subscriber.disconnect();
    }
  });

  it('a retry re-opens a completed campaign: running again, finishedAt cleared', async () => {
    const keys = freshKeys();
    const campaigns = createCampaignStore(redis, keys);
    await campaigns.create(spec('c1'));
    await campaigns.transition('c1', 'complete');
    expect((await campaigns.require('c1')).finishedAt).toEqual(expect.any(Number));
    await campaigns.transition('c1', 'retry');
    const reopened = await campaigns.require('c1');
    expect(reopened.state).toBe('running');
    expect(reopened.finishedAt).toBeUndefined();
  });

  it('creating a campaign whose id exists is its own error: CAMPAIGN_EXISTS, HTTP 409', async () => {
    const campaigns = createCampaignStore(redis, freshKeys());
    await campaigns.create(spec('c1'));
    await expect(campaigns.create(spec('c1'))).rejects.toMatchObject({ code: 'LITECAST_ERR_CAMPAIGN_EXISTS', httpStatus: 409 });
  });
});

describe('store-intake-batch-4.lua', () => {
  it('keeps a batch once, rejects phones another batch took as duplicates (skipped), and counts them', async () => {
    const keys = freshKeys();
    const campaigns = createCampaignStore(redis, keys);
    await campaigns.create(spec('c1'));
    const a = { p: '4410000000', l: 2, f: {} };
    const b = { p: '4420000000', l: 3, f: {} };
    expect(await campaigns.storeBatch('c1', 0, [a, b], [{ line: 4, code: 'invalid_phone', reason: 'bad' }])).toBe(2);
    // The same batch again (a re-run intake) changes nothing.
    expect(await campaigns.storeBatch('c1', 0, [a, b], [{ line: 4, code: 'invalid_phone', reason: 'bad' }])).toBe(2);
    expect(await campaigns.storeBatch('c1', 1, [{ ...a, l: 5 }, { p: '4430000000', l: 6, f: {} }, { p: '4430000000', l: 7, f: {} }], [])).toBe(1);
    expect(await campaigns.loadBatch('c1', 0)).toEqual([a, b]);
    expect(await campaigns.loadBatch('c1', 1)).toEqual([{ p: '4430000000', l: 6, f: {} }]);
    expect(await campaigns.counts('c1')).toMatchObject({ total: 6, pending: 3, skipped: 3 });
    expect((await campaigns.rejected('c1')).map((r) => [r.line, r.code])).toEqual([[4, 'invalid_phone'], [5, 'duplicate'], [7, 'duplicate']]);
  });
});

describe('admit-batch-1.lua', () => {
  it('admits up to the limit, renews a lease it holds, and drops stale leases', async () => {
    const keys = freshKeys();
    const admission = createChannelAdmission(redis, keys, 60_000);
    expect(await admission.admit('ch', 'l1', 2)).toBe(true);
    expect(await admission.admit('ch', 'l2', 2)).toBe(true);
    expect(await admission.admit('ch', 'l3', 2)).toBe(false);
    expect(await admission.admit('ch', 'l1', 2)).toBe(true);
    await admission.release('ch', 'l2');
    expect(await admission.admit('ch', 'l3', 2)).toBe(true);
    // A lease last renewed long ago belongs to a crashed worker.
    await redis.zadd(keys.channelActiveBatches('ch'), 1, 'l1');
    expect(await admission.admit('ch', 'l4', 2)).toBe(true);
    expect(await redis.zrange(keys.channelActiveBatches('ch'), 0, -1)).toEqual(expect.arrayContaining(['l3', 'l4']));
    expect(await redis.zcard(keys.channelActiveBatches('ch'))).toBe(2);
  });
});
