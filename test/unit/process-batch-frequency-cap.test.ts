/**
 * The send loop's frequency-cap check (kept apart from process-batch.test.ts, which other work
 * changes): a capped recipient is committed `capped` without a send, and a send that did not
 * happen gives its place back.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SendResult } from '../../src/dialog360/send-message.ts';
import type { Campaign, CampaignState } from '../../src/shared/campaign.ts';
import { processBatch, type BatchPorts } from '../../src/worker/process-batch.ts';
import type { FrequencyCapPort } from '../../src/worker/frequency-cap-store.ts';
import { createFakeLedger } from '../support/fake-ledger.ts';

const campaign: Campaign = {
  id: 'c1',
  channelId: 'ch',
  template: { name: 't', language: 'en', components: [] },
  ttlSeconds: 43_200,
  route: 'lite',
  startAt: 1_000,
  batchSize: 10,
  createdAt: 1_000,
  state: 'running',
  batches: 1,
};
const recipients = ['4410000000', '4420000000', '4430000000'].map((p, i) => ({ p, l: i + 2, f: {} }));
const running = { parallelism: 1, signal: new AbortController().signal, campaignState: (): CampaignState => 'running' };

/** A cap that lets `allowed` through and records what was taken and given back. */
function fakeCap(allowed: ReadonlySet<string>) {
  const taken: string[] = [];
  const givenBack: string[] = [];
  const port: FrequencyCapPort = {
    take: async (phone, campaignId) => {
      expect(campaignId).toBe('c1');
      if (!allowed.has(phone)) return false;
      taken.push(phone);
      return true;
    },
    giveBack: async (phone) => void givenBack.push(phone),
  };
  return { port, taken, givenBack };
}

function ports(ledger: BatchPorts['ledger'], result: (to: string) => SendResult, frequencyCap: FrequencyCapPort) {
  const posted: string[] = [];
  let n = 0;
  const p: BatchPorts = {
    ledger,
    suppressed: async (_c, phones) => phones.map(() => false),
    send: async (message, _route, options) => {
      await options.claim();
      posted.push(message.to);
      return result(message.to);
    },
    pause: async () => undefined,
    recordWamid: async () => undefined,
    now: () => 2_000,
    newToken: () => `t${++n}`,
    logger: pino({ level: 'silent' }),
    frequencyCap,
  };
  return { p, posted };
}

describe('processBatch with a frequency cap', () => {
  it('commits a capped recipient as `capped` without posting; the others go out', async () => {
    const { values, ledger } = createFakeLedger();
    const cap = fakeCap(new Set(['4410000000', '4430000000']));
    const { p, posted } = ports(ledger, (to) => ({ status: 'sent', route: 'lite', wamid: `w-${to}`, attempts: 1, fellBack: false }), cap.port);
    expect(await processBatch(p, campaign, recipients, running)).toBe('done');
    expect(posted).toEqual(['4410000000', '4430000000']);
    expect(values.get('4420000000')).toBe('Q');
    expect(cap.givenBack).toEqual([]);
  });

  it('gives the place back when the send failed, but not when it may have arrived (unknown)', async () => {
    const { values, ledger } = createFakeLedger();
    const cap = fakeCap(new Set(recipients.map((r) => r.p)));
    const verdict = { class: 'recipient' as const, code: '131026', reason: 'undeliverable' };
    const { p } = ports(ledger, (to) => (to === '4410000000' ? { status: 'failed', route: 'lite', attempts: 1, fellBack: false, verdict } : to === '4420000000' ? { status: 'unknown', route: 'lite', attempts: 1, fellBack: false, verdict: { class: 'retry', code: 'TIMEOUT', reason: 'no answer' } } : { status: 'sent', route: 'lite', wamid: 'w', attempts: 1, fellBack: false }), cap.port);
    await processBatch(p, campaign, recipients, running);
    expect(cap.taken).toEqual(['4410000000', '4420000000', '4430000000']);
    expect(cap.givenBack).toEqual(['4410000000']);
    expect(values.get('4410000000')).toMatch(/^F\|131026/);
    expect(values.get('4420000000')).toMatch(/^U\|TIMEOUT/);
  });
});
