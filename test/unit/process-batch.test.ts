import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SendResult } from '../../src/dialog360/send-message.ts';
import type { Campaign, CampaignState } from '../../src/shared/campaign.ts';
import { processBatch, sideCounters, type BatchPorts } from '../../src/worker/process-batch.ts';
import { createFakeLedger } from '../support/fake-ledger.ts';

const campaign: Campaign = {
  id: 'c1',
  channelId: 'ch',
  template: { name: 't', language: 'en', components: [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] }] },
  ttlSeconds: 43_200,
  route: 'lite',
  startAt: 1_000,
  batchSize: 10,
  createdAt: 1_000,
  state: 'running',
  batches: 1,
};
const recipients = ['441', '442', '443', '444'].map((p, i) => ({ p: `${p}0000000`, l: i + 2, f: { name: `N${i}` } }));

function ports(ledger: BatchPorts['ledger'], send: (to: string, claim: () => Promise<boolean>) => Promise<SendResult>, extra: Partial<BatchPorts> = {}) {
  const paused: string[] = [];
  let n = 0;
  const p: BatchPorts = {
    ledger,
    suppressed: async (_c, phones) => phones.map(() => false),
    send: (message, _route, options) => send(message.to, options.claim),
    pause: async (_id, reason) => void paused.push(reason),
    recordWamid: async () => undefined,
    now: () => 2_000,
    newToken: () => `t${++n}`,
    logger: pino({ level: 'silent' }),
    ...extra,
  };
  return { p, paused };
}

const running = { parallelism: 2, signal: new AbortController().signal, campaignState: (): CampaignState => 'running' };
const sent = async (to: string, claim: () => Promise<boolean>): Promise<SendResult> => (await claim() ? { status: 'sent', route: 'lite', wamid: `w-${to}`, attempts: 1, fellBack: false } : { status: 'claimedElsewhere', route: 'lite', attempts: 0, fellBack: false });

describe('processBatch', () => {
  it('sends every pending recipient once and commits sent; skips those already done; turns orphan claims into unknown', async () => {
    const { values, ledger } = createFakeLedger({ '4410000000': 'S|lite|w0|0||1', '4420000000': 'C|dead' });
    const { p } = ports(ledger, sent);
    expect(await processBatch(p, campaign, recipients, running)).toBe('done');
    expect(Object.fromEntries(values)).toEqual({
      '4410000000': 'S|lite|w0|0||1',
      '4420000000': 'U|WORKER_LOST|dead',
      '4430000000': 'S|lite|w-4430000000|0||2000',
      '4440000000': 'S|lite|w-4440000000|0||2000',
    });
  });

  it('commits suppressed recipients without sending, and expired ones after the deadline', async () => {
    const { values, ledger } = createFakeLedger();
    const { p } = ports(ledger, sent, { suppressed: async (_c, phones) => phones.map((ph) => ph === '4410000000') });
    await processBatch(p, campaign, recipients.slice(0, 2), running);
    expect(values.get('4410000000')).toBe('X');
    const late = createFakeLedger();
    const { p: lateP } = ports(late.ledger, sent, { now: () => 1_000 + 43_200_000 });
    await processBatch(lateP, campaign, recipients, running);
    expect([...late.values.values()]).toEqual(['E', 'E', 'E', 'E']);
  });

  it('a fatal verdict pauses the campaign once, gives the claim back and parks the batch', async () => {
    const { values, ledger } = createFakeLedger();
    const fatal = async (_to: string, claim: () => Promise<boolean>): Promise<SendResult> => (await claim(), { status: 'fatal', route: 'lite', attempts: 1, fellBack: false, verdict: { class: 'fatal', code: '132015', reason: 'template paused for low quality' } });
    const { p, paused } = ports(ledger, fatal);
    expect(await processBatch(p, campaign, recipients, running)).toBe('parked');
    expect(paused).toEqual(['132015: template paused for low quality']);
    expect(values.size).toBe(0);
  });

  it('a cancelled campaign closes out what is left as cancelled', async () => {
    const { values, ledger } = createFakeLedger({ '4410000000': 'S|lite|w0|0||1' });
    const controller = new AbortController();
    controller.abort();
    const { p } = ports(ledger, sent);
    expect(await processBatch(p, campaign, recipients, { ...running, signal: controller.signal, campaignState: () => 'cancelled' })).toBe('done');
    expect([...values.values()].sort()).toEqual(['K', 'K', 'K', 'S|lite|w0|0||1']);
  });

  it('a shutdown leaves the batch interrupted with nothing claimed', async () => {
    const { values, ledger } = createFakeLedger();
    const controller = new AbortController();
    controller.abort();
    const { p } = ports(ledger, sent);
    expect(await processBatch(p, campaign, recipients, { ...running, signal: controller.signal })).toBe('interrupted');
    expect(values.size).toBe(0);
  });
});

describe('sideCounters: what an accepted send also counts, in the same commit', () => {
  it.each([
    [{ ttlSeconds: 43_200 }, { messageStatus: 'accepted', fellBack: false }, []],
    [{ ttlSeconds: 43_200 }, { messageStatus: 'held_for_quality_assessment', fellBack: false }, ['held']],
    [{ ttlSeconds: 43_200 }, { messageStatus: 'paused', fellBack: true }, ['held', 'ttlDropped']],
    [{ ttlSeconds: undefined }, { fellBack: true }, []],
    [{ ttlSeconds: 86_400 }, { fellBack: true }, ['ttlDropped']],
  ] as const)('campaign %o, answer %o → %o', (campaign, result, expected) => {
    expect(sideCounters(campaign, result)).toEqual(expected);
  });
});
