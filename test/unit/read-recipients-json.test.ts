/** The JSON-array recipient reader, through the one reader entry point. */
import { describe, expect, it } from 'vitest';
import { readRecipients } from '../../src/producer/read-recipients.ts';
import { useFixtureDir, readFile, cutAt, expectSameAtEveryCut, accepted, expectFileError } from '../support/read-recipients-harness.ts';

useFixtureDir();


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
