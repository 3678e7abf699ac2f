/**
 * Phone cells judged on the intake's helper thread (src/producer/phone-checker.ts): the verdicts
 * are judgePhone's exactly, in order, whether they come from the thread or, when it cannot run,
 * from the calling thread; rows keep their file order across chunks, and a reading error comes
 * after every row read before it. The last test runs a multi-chunk file through createCampaign
 * with real Redis.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createCampaign } from '../../src/producer/create-campaign.ts';
import { judgePhone } from '../../src/producer/judge-phone.ts';
import { createPhoneChecker, judgedRows, type JudgedRow } from '../../src/producer/phone-checker.ts';
import { readRecipients, type ReadItem } from '../../src/producer/read-recipients.ts';
import { createPipelineFixture, PROMO_COMPONENTS, type PipelineFixture } from '../support/pipeline-fixture.ts';

const SAMPLE = [
  '+49 151 2345 6789', // Germany
  '447000000123', // UK: +44 is shared with Guernsey, Jersey and the Isle of Man
  '+1 650 555 1234', // US: +1 is shared by 25 countries
  '5215512345678', // a Mexican mobile with the "1" WhatsApp ids keep
  '+4420000000', // too short for the UK
  '99912345678', // no such country code
  'call me', // letters
  '', // empty
  '0151 2345678', // no country code
  '+800 1234 5678', // non-geographic
];

const checkers: Array<{ close(): Promise<void> }> = [];
let fixture: PipelineFixture | undefined;
afterEach(async () => {
  for (const checker of checkers.splice(0)) await checker.close();
  await fixture?.close();
  fixture = undefined;
});

function ok(line: number, phone: string): ReadItem {
  return { ok: true, recipient: { line, phone, fields: {} } };
}

describe('phone checker', () => {
  it('judges on its helper thread exactly as judgePhone does, in order', async () => {
    const checker = createPhoneChecker({ threadMinPhones: 1 });
    checkers.push(checker);
    const phones = Array.from({ length: 40 }, (_, i) => SAMPLE[i % SAMPLE.length] as string);
    const judged = await checker.judge(phones);
    expect(checker.onThread()).toBe(true);
    expect(judged).toEqual(phones.map(judgePhone));
    expect(judged.filter((j) => j.ok)).toHaveLength(20);
    // Concurrent lists each get their own verdicts back.
    const [a, b] = await Promise.all([checker.judge(SAMPLE.slice(0, 5)), checker.judge(SAMPLE.slice(5))]);
    expect([...a, ...b]).toEqual(SAMPLE.map(judgePhone));
  });

  it('judges in place, with the same verdicts, when its thread cannot start', async () => {
    const checker = createPhoneChecker({ threadMinPhones: 1, entry: new URL('./no-such-thread.js', import.meta.url) });
    checkers.push(checker);
    expect(await checker.judge(SAMPLE)).toEqual(SAMPLE.map(judgePhone));
    expect(await checker.judge(SAMPLE.slice(2))).toEqual(SAMPLE.slice(2).map(judgePhone));
    expect(checker.onThread()).toBe(false);
  });

  it('keeps rows in file order across chunks and attaches each phone its verdict', async () => {
    const items: ReadItem[] = SAMPLE.map((phone, i) => ok(i + 2, phone));
    items.splice(4, 0, { ok: false, rejected: { line: 99, code: 'column_count', reason: '3 columns, the header has 2' } });
    const rows: JudgedRow[] = [];
    for await (const row of judgedRows(items, (phones) => Promise.resolve(phones.map(judgePhone)), 3)) rows.push(row);
    expect(rows.map((row) => (row.ok ? row.recipient.line : row.rejected.line))).toEqual(items.map((item) => (item.ok ? item.recipient.line : item.rejected.line)));
    for (const row of rows) if (row.ok) expect(row.judgement).toEqual(judgePhone(row.recipient.phone));
  });

  it('hands on every row read before a reading error, then the error', async () => {
    async function* broken(): AsyncGenerator<ReadItem> {
      for (let i = 0; i < 7; i++) yield ok(i + 2, SAMPLE[0] as string);
      throw new Error('truncated file');
    }
    const lines: number[] = [];
    const reading = (async () => {
      for await (const row of judgedRows(broken(), (phones) => Promise.resolve(phones.map(judgePhone)), 3)) if (row.ok) lines.push(row.recipient.line);
    })();
    await expect(reading).rejects.toThrow('truncated file');
    expect(lines).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('closes the reader when the caller stops early', async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<ReadItem> {
      try {
        for (let i = 0; ; i++) yield ok(i + 2, SAMPLE[0] as string);
      } finally {
        closed = true;
      }
    }
    let seen = 0;
    for await (const row of judgedRows(endless(), (phones) => Promise.resolve(phones.map(judgePhone)), 4)) {
      expect(row.ok).toBe(true);
      if (++seen === 6) break;
    }
    expect(closed).toBe(true);
  });

  it('takes in a file of several chunks with bad numbers spread through it, through the helper thread', async () => {
    fixture = await createPipelineFixture({ mps: 80 });
    const f = fixture;
    const lines = ['phone,name'];
    const bad = new Map<number, RegExp>();
    for (let i = 0; i < 2_600; i++) {
      const line = i + 2;
      if (i % 500 === 7) {
        lines.push(`+44200${String(i).padStart(5, '0')},Short`);
        bad.set(line, /cannot exist in country code \+44/);
      } else if (i % 777 === 3) {
        lines.push(`99${String(i).padStart(9, '0')},Nowhere`);
        bad.set(line, /starts with no known country code/);
      } else {
        lines.push(`+49 151 ${String(i).padStart(8, '0')},Customer ${i}`);
      }
    }
    const checker = createPhoneChecker();
    checkers.push(checker);
    const summary = await createCampaign(
      { ...f.ctx, judgePhones: checker.judge },
      { channelId: f.channelId, template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS }, ttlSeconds: 43_200, batchSize: 250 },
      readRecipients(Readable.from([lines.join('\n')]), 'csv'),
    );
    expect(checker.onThread()).toBe(true);
    expect(summary.counts).toMatchObject({ total: 2_600, pending: 2_600 - bad.size, skipped: bad.size });
    const rejected = await f.ctx.campaigns.rejected(summary.id);
    expect(rejected.map((row) => row.line)).toEqual([...bad.keys()].sort((a, b) => a - b));
    for (const row of rejected) expect(row.reason).toMatch(bad.get(row.line) as RegExp);
    // The numbers stored are the normalised ones, in file order.
    const first = await f.ctx.campaigns.loadBatch(summary.id, 0);
    expect(first.slice(0, 3).map((r) => r.p)).toEqual(['4915100000000', '4915100000001', '4915100000002']);
  });
});
