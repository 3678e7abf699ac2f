/**
 * Redis memory per recipient of an active campaign, measured (README, "Production"):
 * `node --import tsx bench/recipient-memory.ts [--recipients 1000000]`.
 *
 * Builds one campaign in a fresh namespace through the real stores (intake batches of 100 by the
 * intake script, the campaign started), then puts every recipient through the states a sent
 * campaign holds at its peak: a `sent` ledger value encoded by the ledger module, the wamid →
 * recipient mapping the worker keeps for 8 days, and a delivery record (delivered + read) as the
 * webhooks leave it. After each stage it sums `MEMORY USAGE` of the campaign's keys (exact, whole
 * hashes) and of a sample of wamid keys (scaled up), so other clients of a shared Redis do not
 * count; `used_memory` before and after is printed too (it does include them).
 */
import { encodeOutcome } from '../src/ledger/ledger-value.ts';
import { createCampaignStore } from '../src/shared/campaign-store.ts';
import { createKeys } from '../src/shared/keys.ts';
import { createRedis } from '../src/shared/redis.ts';
import { dropNamespace, newNamespace } from './namespace.ts';

const argAt = process.argv.indexOf('--recipients');
const N = argAt > 0 ? Number(process.argv[argAt + 1]) : 1_000_000;
const BATCH = 100;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = createRedis(redisUrl);
const namespace = newNamespace('memory');
const keys = createKeys(namespace);
const campaigns = createCampaignStore(redis, keys);
const C = 'mem';
const phone = (i: number) => String(4_915_000_000_000 + i);
// A wamid as Meta returns them (60 characters).
const wamid = (i: number) => `wamid.HBgNNDkxNTAwMDAwMDAwMBUCABEYEj${i.toString(36).padStart(8, '0')}${'QTNDQTVCM0Q0Q0Q2RTY3'}`;

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function memoryOf(key: string): Promise<number> {
  return Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
}

/** Bytes of the campaign's keys (all of them) and of the wamid mappings (a sample of 2,000, scaled to every recipient that has one). */
async function measure(withWamids: boolean): Promise<{ campaign: number; wamids: number; byKey: Record<string, number> }> {
  const byKey: Record<string, number> = {};
  let cursor = '0';
  let batches = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${namespace}:{c:${C}}:*`, 'COUNT', 10_000);
    cursor = next;
    for (const key of found) {
      const bytes = await memoryOf(key);
      const kind = key.includes(':batch:') ? 'batch strings' : (key.split(':').pop() as string);
      if (key.includes(':batch:')) batches += 1;
      byKey[kind] = (byKey[kind] ?? 0) + bytes;
    }
  } while (cursor !== '0');
  let wamids = 0;
  if (withWamids) {
    const sample = 2_000;
    let sum = 0;
    for (let s = 0; s < sample; s++) sum += await memoryOf(keys.wamid(wamid(Math.floor((s * N) / sample))));
    wamids = (sum / sample) * N;
  }
  void batches;
  return { campaign: Object.values(byKey).reduce((a, b) => a + b, 0), wamids, byKey };
}

async function pipelined(count: number, add: (pipeline: ReturnType<typeof redis.pipeline>, i: number) => void): Promise<void> {
  for (let from = 0; from < count; from += 10_000) {
    const pipeline = redis.pipeline();
    for (let i = from; i < Math.min(count, from + 10_000); i++) add(pipeline, i);
    await pipeline.exec();
  }
}

function report(stage: string, m: { campaign: number; wamids: number; byKey: Record<string, number> }): void {
  const per = (b: number) => (b / N).toFixed(1);
  const parts = Object.entries(m.byKey)
    .filter(([, b]) => b > 10_000)
    .map(([k, b]) => `${k} ${per(b)}`)
    .join(', ');
  console.log(`${stage}: ${per(m.campaign + m.wamids)} bytes per recipient (campaign keys ${per(m.campaign)}: ${parts}${m.wamids ? `; wamid keys ${per(m.wamids)}` : ''})`);
}

try {
  const startMemory = await usedMemory();
  console.log(`${N.toLocaleString('en-US')} recipients in namespace ${namespace}; Redis used_memory at start ${(startMemory / 2 ** 20).toFixed(0)} MiB (shared: other clients included)`);
  await campaigns.create({ id: C, channelId: 'ch', template: { name: 'offer', language: 'en', components: [] }, route: 'lite', startAt: 1, batchSize: BATCH, createdAt: Date.now() });
  const batches = Math.ceil(N / BATCH);
  for (let from = 0; from < batches; from += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, batches - from) }, (_, k) => {
        const index = from + k;
        const recipients = Array.from({ length: Math.min(BATCH, N - index * BATCH) }, (_, j) => ({ p: phone(index * BATCH + j), l: index * BATCH + j + 2, f: { '1': 'Ana', '2': 'SUMMER25' } }));
        return campaigns.storeBatch(C, index, recipients, []);
      }),
    );
  }
  await campaigns.markIntakeDone(C, batches);
  await campaigns.transition(C, 'start');
  report('taken in, all pending', await measure(false));

  // Every recipient sent: the ledger value (ledger-value.ts encodes it) and the wamid mapping.
  await pipelined(N, (p, i) => {
    p.hset(keys.campaignLedger(C), phone(i), encodeOutcome({ outcome: 'sent', route: 'lite', wamid: wamid(i), fellBack: false, acceptedAt: Date.now() }, '').value);
    p.set(keys.wamid(wamid(i)), `${C}:${phone(i)}`, 'EX', 8 * 24 * 3600);
  });
  report('all sent', await measure(true));

  // Delivered and read: the delivery record apply-event-3.lua keeps (group, delivered, read times).
  const t = Date.now();
  await pipelined(N, (p, i) => p.hset(keys.campaignEvents(C), phone(i), JSON.stringify({ g: 'lite', d: t + i, r: t + i + 5_000 })));
  const peak = await measure(true);
  report('all delivered and read (the peak)', peak);
  console.log(`used_memory now ${((await usedMemory()) / 2 ** 20).toFixed(0)} MiB (+${(((await usedMemory()) - startMemory) / N).toFixed(0)} bytes per recipient, other clients included)`);
} finally {
  await dropNamespace(redisUrl, namespace);
  redis.disconnect();
}
