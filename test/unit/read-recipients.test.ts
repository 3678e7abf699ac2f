import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detectRecipientFormat,
  readRecipients,
  type ReadItem,
  type RecipientFormat,
} from '../../src/producer/read-recipients.ts';
import { isLitecastError } from '../../src/shared/errors.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'litecast-read-recipients-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCounter = 0;

/** Writes `content` to a fresh file in the temp dir and returns its path. */
async function fixture(content: string | Buffer, extension: string): Promise<string> {
  const file = path.join(dir, `fixture-${++fileCounter}.${extension}`);
  await writeFile(file, content);
  return file;
}

async function collect(items: AsyncIterable<ReadItem>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Reads a real file through fs.createReadStream, as the CLI does. */
async function readFile(content: string | Buffer, format: RecipientFormat, phoneField?: string): Promise<ReadItem[]> {
  const file = await fixture(content, format);
  return collect(readRecipients(fs.createReadStream(file), format, phoneField === undefined ? {} : { phoneField }));
}

/** Yields `bytes` cut at the given byte offsets. */
async function* cutAt(bytes: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let from = 0;
  for (const cut of cuts) {
    yield bytes.subarray(from, cut);
    from = cut;
  }
  yield bytes.subarray(from);
}

/** Yields `bytes` in chunks of `size` bytes. */
async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Reads everything and returns the items plus the error, if the file failed. */
async function settle(items: AsyncIterable<ReadItem>): Promise<{ items: ReadItem[]; error: unknown }> {
  const out: ReadItem[] = [];
  try {
    for await (const item of items) out.push(item);
  } catch (error) {
    return { items: out, error };
  }
  return { items: out, error: undefined };
}

/**
 * Reads `content` whole, then cut in two at every byte offset and in 1-byte chunks, and checks
 * every way gives the same items and the same error: the chunk-boundary proof.
 */
async function expectSameAtEveryCut(content: Buffer, format: RecipientFormat): Promise<{ items: ReadItem[]; error: unknown }> {
  const whole = await settle(readRecipients(cutAt(content, []), format));
  const describeError = (error: unknown): string | undefined => (error === undefined ? undefined : (error as Error).message);
  for (let cut = 1; cut < content.length; cut++) {
    const split = await settle(readRecipients(cutAt(content, [cut]), format));
    expect({ cut, items: split.items, error: describeError(split.error) }).toEqual({ cut, items: whole.items, error: describeError(whole.error) });
  }
  for (const size of [1, 2, 3, 7]) {
    const small = await settle(readRecipients(chunksOf(content, size), format));
    expect({ size, items: small.items, error: describeError(small.error) }).toEqual({ size, items: whole.items, error: describeError(whole.error) });
  }
  return whole;
}

function accepted(line: number, phone: string, fields: Record<string, string>): ReadItem {
  return { ok: true, recipient: { line, phone, fields } };
}

async function expectFileError(items: AsyncIterable<ReadItem>, pattern: RegExp): Promise<{ items: ReadItem[]; error: Error }> {
  const result = await settle(items);
  expect(result.error).toBeInstanceOf(Error);
  const error = result.error as Error;
  expect(error.message).toMatch(pattern);
  expect(isLitecastError(error)).toBe(true);
  expect((error as { code?: string }).code).toBe('LITECAST_ERR_BAD_RECIPIENTS');
  return { items: result.items, error };
}

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

describe('readRecipients: CSV', () => {
  it('reads rows with the header as field names and the phone column as phone', async () => {
    const items = await readFile('phone,first_name,coupon\n4915112345678,Anna,SPRING10\n4915187654321,Ben,SPRING20\n', 'csv');
    expect(items).toEqual([
      accepted(2, '4915112345678', { first_name: 'Anna', coupon: 'SPRING10' }),
      accepted(3, '4915187654321', { first_name: 'Ben', coupon: 'SPRING20' }),
    ]);
  });

  it('handles quotes, escaped quotes and line breaks inside quoted fields, keeping later line numbers right', async () => {
    const csv = [
      'phone,name,note',
      '4915100000001,"Smith, Anna","says ""hi"""',
      '4915100000002,Ben,"line one',
      'line two',
      'line three"',
      '4915100000003,"Carla","one\r\ntwo"',
      '4915100000004,Dan,x',
      '',
    ].join('\n');
    expect(await readFile(csv, 'csv')).toEqual([
      accepted(2, '4915100000001', { name: 'Smith, Anna', note: 'says "hi"' }),
      accepted(3, '4915100000002', { name: 'Ben', note: 'line one\nline two\nline three' }),
      accepted(6, '4915100000003', { name: 'Carla', note: 'one\r\ntwo' }),
      accepted(8, '4915100000004', { name: 'Dan', note: 'x' }),
    ]);
  });

  it('reads CRLF files, files mixing CRLF and LF, and a last row without a line break', async () => {
    expect(await readFile('phone,name\r\n4915100000001,Anna\r\n4915100000002,Ben', 'csv')).toEqual([
      accepted(2, '4915100000001', { name: 'Anna' }),
      accepted(3, '4915100000002', { name: 'Ben' }),
    ]);
    expect(await readFile('phone,name\r\n4915100000001,Anna\n4915100000002,Ben\r\n', 'csv')).toEqual([
      accepted(2, '4915100000001', { name: 'Anna' }),
      accepted(3, '4915100000002', { name: 'Ben' }),
    ]);
  });

  it('skips a UTF-8 BOM and trims header names, matching the phone column case-insensitively', async () => {
    const items = await readFile('\uFEFF Phone , First Name \n+49 151 0000001 ,Anna\n', 'csv');
    expect(items).toEqual([accepted(2, '+49 151 0000001', { 'First Name': 'Anna' })]);
  });

  it('skips blank lines, whitespace-only lines and rows of empty cells, counting their lines', async () => {
    const csv = '\n\nphone,name\n\n4915100000001,Anna\n   \n,\n\r\n4915100000002,Ben\n\n\n';
    expect(await readFile(csv, 'csv')).toEqual([
      accepted(5, '4915100000001', { name: 'Anna' }),
      accepted(9, '4915100000002', { name: 'Ben' }),
    ]);
  });

  it('rejects rows with missing or extra columns, with line and counts, and goes on', async () => {
    const csv = 'phone,name,code\n4915100000001,Anna\n4915100000002,Ben,B,extra\n4915100000003,Carla,C\n';
    const items = await readFile(csv, 'csv');
    expect(items).toEqual([
      { ok: false, rejected: { line: 2, code: 'column_count', reason: 'expected 3 columns as in the header, got 2', raw: '4915100000001,Anna' } },
      {
        ok: false,
        rejected: {
          line: 3,
          code: 'column_count',
          reason: 'expected 3 columns as in the header, got 4; a value containing "," must be in double quotes',
          raw: '4915100000002,Ben,B,extra',
        },
      },
      accepted(4, '4915100000003', { name: 'Carla', code: 'C' }),
    ]);
  });

  it('rejects a row whose phone is empty as missing_phone', async () => {
    const items = await readFile('name,phone\nAnna,\nBen,   \n', 'csv');
    expect(items).toEqual([
      { ok: false, rejected: { line: 2, code: 'missing_phone', reason: 'the "phone" column is empty', raw: 'Anna,' } },
      { ok: false, rejected: { line: 3, code: 'missing_phone', reason: 'the "phone" column is empty', raw: 'Ben,   ' } },
    ]);
  });

  it('limits raw to the first 200 characters of the row', async () => {
    const long = 'x'.repeat(500);
    const [item] = await readFile(`phone,name\n,${long}\n`, 'csv');
    expect(item?.ok).toBe(false);
    if (item?.ok === false) expect(item.rejected.raw).toBe(`,${long}`.slice(0, 200));
  });

  it('fails the whole file when the header has no phone column, naming the columns found', async () => {
    const file = await fixture('name,mobile,code\nAnna,4915100000001,A\n', 'csv');
    const { error } = await expectFileError(readRecipients(fs.createReadStream(file), 'csv'), /no "phone" column/);
    expect(error.message).toContain('columns found: "name", "mobile", "code"');
    expect(error.message).toContain('Rename the column that holds the numbers to "phone"');
  });

  it('says the first line looks like data when the header is missing', async () => {
    const { error } = await expectFileError(
      readRecipients(cutAt(Buffer.from('4915100000001,Anna\n4915100000002,Ben\n'), []), 'csv'),
      /no "phone" column/,
    );
    expect(error.message).toContain('looks like data rather than a header');
  });

  it('uses phoneField for the phone column', async () => {
    const file = await fixture('Name,Mobile\nAnna,4915100000001\n', 'csv');
    const items = await collect(readRecipients(fs.createReadStream(file), 'csv', { phoneField: 'mobile' }));
    expect(items).toEqual([accepted(2, '4915100000001', { Name: 'Anna' })]);
  });

  it('fails the whole file on duplicate header names, ignoring case', async () => {
    await expectFileError(readRecipients(cutAt(Buffer.from('phone,name,Name\n1,a,b\n'), []), 'csv'), /duplicate column names: "name\/Name"/);
    await expectFileError(readRecipients(cutAt(Buffer.from('phone, phone\n1,2\n'), []), 'csv'), /duplicate column names: "phone"/);
  });

  it('detects ";" and tab delimiters from the header line', async () => {
    expect(await readFile('phone;name;note\n4915100000001;Anna;"a;b, c"\n', 'csv')).toEqual([
      accepted(2, '4915100000001', { name: 'Anna', note: 'a;b, c' }),
    ]);
    expect(await readFile('phone\tname\n4915100000001\tSmith, Anna\n', 'csv')).toEqual([accepted(2, '4915100000001', { name: 'Smith, Anna' })]);
  });

  it('ignores unnamed columns (a trailing delimiter in the header)', async () => {
    expect(await readFile('phone,name,\n4915100000001,Anna,\n', 'csv')).toEqual([accepted(2, '4915100000001', { name: 'Anna' })]);
  });

  it('keeps a column named __proto__ as a plain field', async () => {
    const [item] = await readFile('phone,__proto__\n4915100000001,x\n', 'csv');
    expect(item?.ok).toBe(true);
    if (item?.ok === true) {
      // Prototype-free (issue 17): the column cannot replace a prototype, and there is none to read through.
      expect(Object.getPrototypeOf(item.recipient.fields)).toBe(null);
      expect(Object.keys(item.recipient.fields)).toEqual(['__proto__']);
      expect(Object.getOwnPropertyDescriptor(item.recipient.fields, '__proto__')?.value).toBe('x');
    }
  });

  it('keeps a stray quote inside an unquoted value as text', async () => {
    expect(await readFile('phone,item\n4915100000001,5" screen\n', 'csv')).toEqual([accepted(2, '4915100000001', { item: '5" screen' })]);
  });

  it('rejects rows with invalid UTF-8 and keeps reading', async () => {
    const content = Buffer.concat([
      Buffer.from('phone,name\n4915100000001,M'),
      Buffer.from([0xfc]), // "ü" in Windows-1252
      Buffer.from('ller\n4915100000002,Müller\n'),
    ]);
    expect(await readFile(content, 'csv')).toEqual([
      {
        ok: false,
        rejected: {
          line: 2,
          code: 'invalid_utf8',
          reason: 'column "name" contains bytes that are not valid UTF-8: save the file as UTF-8',
          raw: '4915100000001,M\uFFFDller',
        },
      },
      accepted(3, '4915100000002', { name: 'Müller' }),
    ]);
  });

  it('fails the whole file when the header itself is not UTF-8', async () => {
    const content = Buffer.concat([Buffer.from('phone,Stra'), Buffer.from([0xdf]), Buffer.from('e\n1,x\n')]);
    await expectFileError(readRecipients(cutAt(content, []), 'csv'), /header \(line 1\) is not valid UTF-8.*CSV UTF-8/);
  });

  it('yields the rows before an unclosed quote, then fails naming the line where it opened', async () => {
    const csv = 'phone,name\n4915100000001,Anna\n\n4915100000002,"Ben\n4915100000003,Carla\n';
    const { items, error } = await expectFileError(readRecipients(cutAt(Buffer.from(csv), []), 'csv'), /line 4 never ends/);
    expect(items).toEqual([accepted(2, '4915100000001', { name: 'Anna' })]);
    expect(error.message).toContain('not closed');
  });

  it('fails early, without buffering the rest of the file, when a record grows past 1 MiB', async () => {
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('phone,name\n4915100000001,"never closed');
      const filler = Buffer.alloc(64 * 1024, 'a');
      for (let i = 0; i < 1000; i++) yield filler; // 64 MiB if it were all read
    }
    const { items } = await expectFileError(readRecipients(endless(), 'csv'), /line 2 never ends/);
    expect(items).toEqual([]);
  });

  it('yields nothing for an empty file, a BOM-only or whitespace-only file, and a header-only file', async () => {
    expect(await readFile('', 'csv')).toEqual([]);
    expect(await readFile('\uFEFF', 'csv')).toEqual([]);
    expect(await readFile(' \r\n\n  \n', 'csv')).toEqual([]);
    expect(await readFile('phone,name\n', 'csv')).toEqual([]);
    expect(await readFile('\uFEFFphone,name', 'csv')).toEqual([]);
    expect(await readFile('phone,name\n\n,\n', 'csv')).toEqual([]);
  });

  it('gives the same result however the bytes are split into chunks', async () => {
    const csv = Buffer.from(
      '\uFEFFphone , name,note\r\n' +
        '4915100000001,"Jürgen ""Jo"" Groß","a,b\r\nc"\r\n' +
        '\r\n' +
        '4915100000002,Zoë 😀,€\n' +
        '4915100000003,"x""\n' +
        'y",""\r' +
        '4915100000004,only-two\n' +
        '4915100000005,"",last',
    );
    const { items, error } = await expectSameAtEveryCut(csv, 'csv');
    expect(error).toBeUndefined();
    expect(items).toEqual([
      accepted(2, '4915100000001', { name: 'Jürgen "Jo" Groß', note: 'a,b\r\nc' }),
      accepted(5, '4915100000002', { name: 'Zoë 😀', note: '€' }),
      accepted(6, '4915100000003', { name: 'x"\ny', note: '' }),
      { ok: false, rejected: { line: 8, code: 'column_count', reason: 'expected 3 columns as in the header, got 2', raw: '4915100000004,only-two' } },
      accepted(9, '4915100000005', { name: '', note: 'last' }),
    ]);
  });

  it('accepts string chunks and Node streams in string mode', async () => {
    async function* strings(): AsyncGenerator<string> {
      yield 'phone,na';
      yield 'me\n4915100000001,Zoë\n';
    }
    expect(await collect(readRecipients(strings(), 'csv'))).toEqual([accepted(2, '4915100000001', { name: 'Zoë' })]);
    const file = await fixture('phone,name\n4915100000001,Zoë\n', 'csv');
    const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 5 });
    expect(await collect(readRecipients(stream, 'csv'))).toEqual([accepted(2, '4915100000001', { name: 'Zoë' })]);
  });

  it('stops reading and closes the file when the consumer stops early', async () => {
    const file = await fixture(`phone,name\n${'4915100000001,Anna\n'.repeat(50_000)}`, 'csv');
    const stream = fs.createReadStream(file, { highWaterMark: 1024 });
    let seen = 0;
    for await (const item of readRecipients(stream, 'csv')) {
      expect(item.ok).toBe(true);
      if (++seen === 3) break;
    }
    expect(seen).toBe(3);
    expect(stream.destroyed).toBe(true);
  });

  it('streams 200,000 generated rows with two parameter columns', async () => {
    const rows = 200_000;
    async function* generate(): AsyncGenerator<string> {
      yield 'phone,first_name,coupon\n';
      let batch = '';
      for (let i = 0; i < rows; i++) {
        batch += `49151${String(i).padStart(8, '0')},Name ${i},CODE-${i % 997}\n`;
        if (batch.length > 60_000) {
          yield batch;
          batch = '';
        }
      }
      yield batch;
    }
    let ok = 0;
    let lastLine = 0;
    let lastPhone = '';
    for await (const item of readRecipients(Readable.from(generate()), 'csv')) {
      if (!item.ok) throw new Error(`unexpected rejection: ${JSON.stringify(item.rejected)}`);
      ok++;
      lastLine = item.recipient.line;
      lastPhone = item.recipient.phone;
    }
    expect(ok).toBe(rows);
    expect(lastLine).toBe(rows + 1);
    expect(lastPhone).toBe(`49151${String(rows - 1).padStart(8, '0')}`);
  });
});

describe('readRecipients: NDJSON', () => {
  it('reads one object per line: phone string or number, scalars stringified, null left out', async () => {
    const ndjson = [
      '{"phone":"+49 151 0000001","name":"Anna","visits":3,"vip":true,"ratio":0.5,"note":null}',
      '{"phone":4915100000002,"name":"Ben"}',
      '',
    ].join('\r\n');
    expect(await readFile(ndjson, 'ndjson')).toEqual([
      accepted(1, '+49 151 0000001', { name: 'Anna', visits: '3', vip: 'true', ratio: '0.5' }),
      accepted(2, '4915100000002', { name: 'Ben' }),
    ]);
  });

  it('rejects an invalid line with its line number, skips blank lines, and goes on', async () => {
    const ndjson = '\n{"phone":"4915100000001"}\n\n{"phone": "4915100000002",}\n   \n{"phone":"4915100000003"}';
    const items = await readFile(ndjson, 'ndjson');
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual(accepted(2, '4915100000001', {}));
    expect(items[1]).toMatchObject({ ok: false, rejected: { line: 4, code: 'invalid_json', raw: '{"phone": "4915100000002",}' } });
    expect(items[1]?.ok === false && items[1].rejected.reason).toMatch(/^invalid JSON: /);
    expect(items[2]).toEqual(accepted(6, '4915100000003', {}));
  });

  it('rejects values that are not objects', async () => {
    const items = await readFile('[{"phone":"1"}]\n"4915100000001"\nnull\n', 'ndjson');
    expect(items.map((item) => (item.ok ? 'ok' : `${item.rejected.line}:${item.rejected.code}:${item.rejected.reason}`))).toEqual([
      '1:invalid_json:expected a JSON object like {"phone": "4915…"}, got an array',
      '2:invalid_json:expected a JSON object like {"phone": "4915…"}, got a string',
      '3:invalid_json:expected a JSON object like {"phone": "4915…"}, got null',
    ]);
  });

  it('rejects nested values as invalid_field, naming the fields', async () => {
    const [item] = await readFile('{"phone":"4915100000001","address":{"city":"Berlin"},"tags":["a"],"name":"Anna"}\n', 'ndjson');
    expect(item).toMatchObject({ ok: false, rejected: { line: 1, code: 'invalid_field' } });
    expect(item?.ok === false && item.rejected.reason).toMatch(/^fields "address", "tags" are nested/);
  });

  it('rejects a missing, null, empty or non-scalar phone', async () => {
    const ndjson = [
      '{"name":"Anna"}',
      '{"phone":null}',
      '{"phone":"  "}',
      '{"phone":true}',
      '{"phone":{"number":"1"}}',
      '{"phone":4915.5}',
      '{"phone":12345678901234567890}',
      '{"phone":"1","Phone":"2"}',
    ].join('\n');
    const items = await readFile(ndjson, 'ndjson');
    expect(items.map((item) => (item.ok ? 'ok' : `${item.rejected.line}:${item.rejected.code}`))).toEqual([
      '1:missing_phone',
      '2:missing_phone',
      '3:missing_phone',
      '4:invalid_field',
      '5:invalid_field',
      '6:invalid_field',
      '7:invalid_field',
      '8:invalid_field',
    ]);
    expect(items[0]?.ok === false && items[0].rejected.reason).toBe('no "phone" value (keys found: "name")');
    expect(items[6]?.ok === false && items[6].rejected.reason).toMatch(/write the phone as a string/);
  });

  it('matches the phone key case-insensitively and honours phoneField', async () => {
    expect(await readFile('{"Phone":"4915100000001","name":"A"}\n', 'ndjson')).toEqual([accepted(1, '4915100000001', { name: 'A' })]);
    expect(await readFile('{"msisdn":"4915100000001","phone":"x"}\n', 'ndjson', 'msisdn')).toEqual([
      accepted(1, '4915100000001', { phone: 'x' }),
    ]);
  });

  it('rejects a line with invalid UTF-8', async () => {
    const content = Buffer.concat([
      Buffer.from('{"phone":"4915100000001","name":"M'),
      Buffer.from([0xc3, 0x28]), // broken two-byte sequence
      Buffer.from('ller"}\n{"phone":"4915100000002"}\n'),
    ]);
    const items = await readFile(content, 'ndjson');
    expect(items[0]).toMatchObject({ ok: false, rejected: { line: 1, code: 'invalid_utf8' } });
    expect(items[1]).toEqual(accepted(2, '4915100000002', {}));
  });

  it('yields nothing for empty, BOM-only and blank files', async () => {
    expect(await readFile('', 'ndjson')).toEqual([]);
    expect(await readFile('\uFEFF', 'ndjson')).toEqual([]);
    expect(await readFile('\n \r\n\n', 'ndjson')).toEqual([]);
  });

  it('gives the same result however the bytes are split into chunks', async () => {
    const ndjson = Buffer.from(
      '\uFEFF{"phone":"4915100000001","name":"Jürgen \\"Jo\\" 😀","q":"\\\\"}\r\n' +
        '\n' +
        '{"phone":4915100000002,"city":"Köln","json":"{\\"a\\":[1]}"}\n' +
        '{broken\n' +
        '{"phone":"4915100000003","x":"€"}',
    );
    const { items, error } = await expectSameAtEveryCut(ndjson, 'ndjson');
    expect(error).toBeUndefined();
    expect(items).toEqual([
      accepted(1, '4915100000001', { name: 'Jürgen "Jo" 😀', q: '\\' }),
      accepted(3, '4915100000002', { city: 'Köln', json: '{"a":[1]}' }),
      expect.objectContaining({ ok: false, rejected: expect.objectContaining({ line: 4, code: 'invalid_json' }) }),
      accepted(5, '4915100000003', { x: '€' }),
    ]);
  });
});

describe('readRecipients: JSON array', () => {
  it('reads an array of objects, with the line each element starts on, numbers as phones', async () => {
    const json = `[
  {
    "phone": 4915100000001,
    "name": "Anna",
    "meta": "{\\"nested\\": [1, 2]}"
  },
  {"phone": "+49 151 0000002", "name": "Ben", "count": 2, "ok": false},

  {
    "phone":
      "4915100000003"
  }
]
`;
    expect(await readFile(json, 'json')).toEqual([
      accepted(2, '4915100000001', { name: 'Anna', meta: '{"nested": [1, 2]}' }),
      accepted(7, '+49 151 0000002', { name: 'Ben', count: '2', ok: 'false' }),
      accepted(9, '4915100000003', {}),
    ]);
  });

  it('rejects nested fields and non-object elements, naming the line', async () => {
    const json = '[\n{"phone":"4915100000001","address":{"street":"A [1]"}},\n42,\n"4915100000002",\n{"phone":"4915100000003"}\n]';
    const items = await readFile(json, 'json');
    expect(items.map((item) => (item.ok ? `${item.recipient.line}:ok` : `${item.rejected.line}:${item.rejected.code}`))).toEqual([
      '2:invalid_field',
      '3:invalid_json',
      '4:invalid_json',
      '5:ok',
    ]);
    expect(items[0]?.ok === false && items[0].rejected.reason).toMatch(/field "address" is nested/);
  });

  it('rejects an element with a syntax error inside balanced brackets and resyncs at the next element', async () => {
    const json = '[\n{"phone":"4915100000001",},\n{phone:"x"},\n{"phone":"4915100000002"}\n]';
    const items = await readFile(json, 'json');
    expect(items.map((item) => (item.ok ? `${item.recipient.line}:ok` : `${item.rejected.line}:${item.rejected.code}`))).toEqual([
      '2:invalid_json',
      '3:invalid_json',
      '4:ok',
    ]);
  });

  it('fails the whole file when it is not an array, telling the user to use NDJSON or wrap it', async () => {
    const { items, error } = await expectFileError(
      readRecipients(cutAt(Buffer.from('\uFEFF\n{"phone":"4915100000001"}\n{"phone":"4915100000002"}\n'), []), 'json'),
      /not a JSON array: it starts with "\{"/,
    );
    expect(items).toEqual([]);
    expect(error.message).toContain('Use NDJSON');
    expect(error.message).toContain('wrap the objects in [ … ]');
    await expectFileError(readRecipients(cutAt(Buffer.from('"phone"'), []), 'json'), /not a JSON array/);
  });

  it('yields the elements before a truncation, then fails naming the line', async () => {
    const json = '[\n{"phone":"4915100000001"},\n{"phone":"4915100000002"},\n{"phone":"49151';
    const { items, error } = await expectFileError(
      readRecipients(cutAt(Buffer.from(json), []), 'json'),
      /ends inside the element starting at line 4/,
    );
    expect(items).toEqual([accepted(2, '4915100000001', {}), accepted(3, '4915100000002', {})]);
    expect(error.message).toContain('truncated');
    await expectFileError(readRecipients(cutAt(Buffer.from('[{"phone":"1"},\n'), []), 'json'), /ends at line 2 before the array is closed/);
  });

  it('fails the whole file on broken array structure, naming the line', async () => {
    const cases: Array<[string, RegExp]> = [
      ['[\n{"phone":"1"}\n{"phone":"2"}\n]', /missing a "," between array elements at line 3/],
      ['[{"phone":"1"},\n]', /"," before "]" at line 2/],
      ['[{"phone":"1"}]\n\n{"phone":"2"}', /data after the closing "]" of the array, at line 3/],
      ['[\n{"phone":["1"}\n]', /mismatched "}" at line 2/],
      ['[,{"phone":"1"}]', /unexpected ","/],
    ];
    for (const [json, pattern] of cases) {
      await expectFileError(readRecipients(cutAt(Buffer.from(json), []), 'json'), pattern);
    }
  });

  it('rejects an element with invalid UTF-8', async () => {
    const content = Buffer.concat([Buffer.from('[{"phone":"4915100000001","n":"'), Buffer.from([0xff]), Buffer.from('"},{"phone":"4915100000002"}]')]);
    const items = await readFile(content, 'json');
    expect(items[0]).toMatchObject({ ok: false, rejected: { line: 1, code: 'invalid_utf8' } });
    expect(items[1]).toEqual(accepted(1, '4915100000002', {}));
  });

  it('yields nothing for empty, whitespace-only and empty-array files', async () => {
    expect(await readFile('', 'json')).toEqual([]);
    expect(await readFile('\uFEFF  \n', 'json')).toEqual([]);
    expect(await readFile('[]', 'json')).toEqual([]);
    expect(await readFile('\uFEFF[\n]\n', 'json')).toEqual([]);
  });

  it('gives the same result however the bytes are split into chunks', async () => {
    const json = Buffer.from(
      '\uFEFF[\r\n' +
        ' {"phone": "4915100000001", "name": "Jürgen \\"Jo\\" 😀", "e": "a \\"}]\\" b", "s": "]}[{,\\\\"},\r\n' +
        ' {"phone":\n4915100000002, "v": -1.5e3, "t": true},\n' +
        ' {"phone": "4915100000003", "x": "€",},\n' +
        ' 7,\n' +
        ' {"phone": "4915100000004"}\n' +
        ']\n',
    );
    const { items, error } = await expectSameAtEveryCut(json, 'json');
    expect(error).toBeUndefined();
    expect(items).toEqual([
      accepted(2, '4915100000001', { name: 'Jürgen "Jo" 😀', e: 'a "}]" b', s: ']}[{,\\' }),
      accepted(3, '4915100000002', { v: '-1500', t: 'true' }),
      expect.objectContaining({ ok: false, rejected: expect.objectContaining({ line: 5, code: 'invalid_json' }) }),
      expect.objectContaining({ ok: false, rejected: expect.objectContaining({ line: 6, code: 'invalid_json' }) }),
      accepted(7, '4915100000004', {}),
    ]);
  });

  it('reports a truncated file the same way however it is chunked', async () => {
    const { items, error } = await expectSameAtEveryCut(Buffer.from('[{"phone":"4915100000001"},{"phone":"4915100000002","n":"a\\"b'), 'json');
    expect(items).toEqual([accepted(1, '4915100000001', {})]);
    expect((error as Error).message).toMatch(/ends inside the element starting at line 1/);
  });
});

describe('readRecipients: arguments', () => {
  it('rejects an unknown format', async () => {
    await expect(collect(readRecipients(cutAt(Buffer.from('x'), []), 'xml' as RecipientFormat))).rejects.toThrow(/unknown recipient format "xml"/);
  });
});
