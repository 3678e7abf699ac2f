/** The CSV recipient reader, through the one reader entry point. */
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readRecipients } from '../../src/producer/read-recipients.ts';
import { useFixtureDir, fixture, collect, readFile, cutAt, expectSameAtEveryCut, accepted, expectFileError } from '../support/read-recipients-harness.ts';

useFixtureDir();

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
