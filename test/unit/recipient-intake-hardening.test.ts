/**
 * Intake against careless or hostile files (issue 17): reading never holds the event loop,
 * field maps have no prototype, reasons are bounded, and a placeholder must be a column.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../src/producer/normalize-phone.ts';
import { readRecipients, recipientsFromValues, type ReadItem, type RecipientFormat } from '../../src/producer/read-recipients.ts';
import { isLitecastError } from '../../src/shared/errors.ts';
import { missingPlaceholders, placeholdersOf, renderComponents } from '../../src/shared/template-components.ts';
import type { TemplateComponent } from '../../src/shared/outbound-message.ts';

async function collect(items: AsyncIterable<ReadItem>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const read = (text: string, format: RecipientFormat, options = {}) => collect(readRecipients(Readable.from([text]), format, options));

describe('a million blank lines', () => {
  for (const format of ['csv', 'ndjson'] as const) {
    it(`${format}: the event loop gets control during the read, and the rows after them keep their line`, async () => {
      const head = format === 'csv' ? 'phone,name\n' : '';
      const row = format === 'csv' ? '4915100000001,Ann\n' : '{"phone":"4915100000001","name":"Ann"}\n';
      const text = head + '\n'.repeat(1_000_000) + row;
      let timerFiredDuringRead = false;
      let reading = true;
      const timer = setTimeout(() => (timerFiredDuringRead = reading), 0);
      const items = await read(text, format);
      reading = false;
      clearTimeout(timer);
      expect(timerFiredDuringRead).toBe(true);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ ok: true, recipient: { line: (format === 'csv' ? 2 : 1) + 1_000_000, phone: '4915100000001' } });
    });
  }

  it('a JSON array padded with a million blank lines also lets timers run', async () => {
    let fired = false;
    let reading = true;
    const timer = setTimeout(() => (fired = reading), 0);
    const items = await read(`[${'\n'.repeat(1_000_000)}{"phone":"4915100000001"}]`, 'json');
    reading = false;
    clearTimeout(timer);
    expect(fired).toBe(true);
    expect(items).toMatchObject([{ ok: true, recipient: { line: 1_000_001 } }]);
  });
});

describe('field maps without a prototype', () => {
  it('a field named like an Object.prototype member is absent unless it is a column', async () => {
    const [csv] = await read('phone,name\n4915100000001,Ann\n', 'csv');
    const [json] = await read('{"phone":"4915100000001","name":"Ann"}\n', 'ndjson');
    const [inline] = [...recipientsFromValues([{ phone: '4915100000001', name: 'Ann' }])];
    for (const item of [csv, json, inline]) {
      if (item?.ok !== true) throw new Error('expected a recipient');
      const fields = item.recipient.fields;
      expect(Object.getPrototypeOf(fields)).toBe(null);
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) expect(fields[name]).toBeUndefined();
    }
  });

  it('a column named constructor or __proto__ is an ordinary field', async () => {
    const [item] = await read('{"phone":"4915100000001","__proto__":"a","constructor":"b"}\n', 'ndjson');
    expect(item).toMatchObject({ ok: true });
    if (item?.ok === true) expect(Object.entries(item.recipient.fields)).toEqual([['__proto__', 'a'], ['constructor', 'b']]);
  });
});

describe('rejected-row reasons are bounded', () => {
  const huge = 'x'.repeat(500_000);

  it('a huge header name in a column-count or UTF-8 reason is cut to 64 characters with an ellipsis', async () => {
    const items = await read(`phone,${huge}\n4915100000001,\uFFFD\n`, 'csv');
    expect(items).toHaveLength(1);
    const rejected = items[0]?.ok === false ? items[0].rejected : undefined;
    expect(rejected?.code).toBe('invalid_utf8');
    expect(rejected!.reason.length).toBeLessThan(500);
    expect(rejected!.reason).toContain(`"${'x'.repeat(64)}"…`);
    expect(rejected!.raw!.length).toBeLessThanOrEqual(200);
  });

  it('huge JSON keys and values in reasons are cut too', async () => {
    const items = await read(`${JSON.stringify({ [huge]: 1 })}\n${JSON.stringify({ phone: '4915100000001', [huge]: { a: 1 } })}\n{"phone": ${huge.replace(/x/gu, '1')}}\n`, 'ndjson');
    expect(items).toHaveLength(3);
    for (const item of items) {
      expect(item.ok).toBe(false);
      if (item.ok === false) expect(item.rejected.reason.length).toBeLessThan(500);
    }
  });
});

describe('placeholders are column names', () => {
  it('a CSV without a column for a placeholder is refused at the header, naming the placeholder', async () => {
    let error: unknown;
    try {
      await read('phone,name\n4915100000001,Ann\n', 'csv', { requiredColumns: ['name', 'constructor'] });
    } catch (caught) {
      error = caught;
    }
    expect(isLitecastError(error) && error.code).toBe('LITECAST_ERR_BAD_RECIPIENTS');
    expect((error as Error).message).toContain('{{constructor}} is not a column');
    expect((error as Error).message).toContain('"name"');
  });

  it('a CSV with every placeholder as a column reads as before', async () => {
    const items = await read('phone,name,__proto__\n4915100000001,Ann,p\n', 'csv', { requiredColumns: ['name', '__proto__'] });
    expect(items).toMatchObject([{ ok: true, recipient: { fields: { name: 'Ann' } } }]);
  });
});

describe('placeholders never reach Object.prototype', () => {
  const components: TemplateComponent[] = [{ type: 'body', parameters: ['__proto__', 'constructor', 'toString', 'name'].map((name) => ({ type: 'text', text: `{{${name}}}` })) }];

  const texts = (rendered: TemplateComponent[]) => (rendered[0]?.parameters as Array<{ text: string }>).map((p) => p.text);

  it('a prototype name is missing unless the recipient has it as its own field', () => {
    // Fields as the worker gets them back from Redis: a plain object from JSON.parse.
    const plain = JSON.parse('{"name":"Ann"}') as Record<string, string>;
    expect(missingPlaceholders(placeholdersOf(components), plain)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(texts(renderComponents(components, plain))).toEqual(['', '', '', 'Ann']);
  });

  it('own fields with those names render as their values', () => {
    const own = JSON.parse('{"__proto__":"a","constructor":"b","toString":"c","name":"Ann"}') as Record<string, string>;
    expect(missingPlaceholders(placeholdersOf(components), own)).toEqual([]);
    expect(texts(renderComponents(components, own))).toEqual(['a', 'b', 'c', 'Ann']);
  });
});

describe('invalid-phone reasons are bounded', () => {
  it('quote at most 64 characters of the cell', () => {
    for (const cell of ['a'.repeat(1_000_000), `+49${'-'.repeat(1_000_000)}x`, `0${'1'.repeat(1_000_000)}`, `1e${'5'.repeat(1_000_000)}`]) {
      const result = normalizePhone(cell);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason.length).toBeLessThan(300);
    }
    expect(normalizePhone('abc')).toEqual({ ok: false, reason: `contains letters ("abc"): only digits, spaces, '+', '-', '.', '(' and ')' are allowed` });
  });
});
