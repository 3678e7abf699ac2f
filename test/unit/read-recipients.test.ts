/** The recipient reader's entry point: format detection and arguments. Each format has its own test file. */
import { describe, expect, it } from 'vitest';
import { detectRecipientFormat, readRecipients, type RecipientFormat } from '../../src/producer/read-recipients.ts';
import { useFixtureDir, collect, cutAt } from '../support/read-recipients-harness.ts';

useFixtureDir();

describe('detectRecipientFormat', () => {
  it('goes by extension, case-insensitively', () => {
    const content = Buffer.from('[{"phone":"1"}]');
    expect(detectRecipientFormat('list.csv', content)).toBe('csv');
    expect(detectRecipientFormat('LIST.CSV', content)).toBe('csv');
    expect(detectRecipientFormat('list.tsv', content)).toBe('csv');
    expect(detectRecipientFormat('/a/b.c/list.ndjson', content)).toBe('ndjson');
    expect(detectRecipientFormat('list.jsonl', content)).toBe('ndjson');
    expect(detectRecipientFormat('list.json', Buffer.from('phone\n1'))).toBe('json');
  });

  it('falls back to content, skipping a BOM and whitespace', () => {
    expect(detectRecipientFormat(undefined, Buffer.from('[{"phone":"1"}]'))).toBe('json');
    expect(detectRecipientFormat('list.txt', Buffer.from('\uFEFF \r\n\t[ {}]'))).toBe('json');
    expect(detectRecipientFormat('upload', Buffer.from('\uFEFF\n{"phone":"1"}\n'))).toBe('ndjson');
    expect(detectRecipientFormat(undefined, Buffer.from('phone,name\n'))).toBe('csv');
    expect(detectRecipientFormat(undefined, Buffer.from('\uFEFF"phone";"name"\n'))).toBe('csv');
    expect(detectRecipientFormat(undefined, Buffer.alloc(0))).toBe('csv');
  });
});

describe('readRecipients: arguments', () => {
  it('rejects an unknown format', async () => {
    await expect(collect(readRecipients(cutAt(Buffer.from('x'), []), 'xml' as RecipientFormat))).rejects.toThrow(/unknown recipient format "xml"/);
  });
});
