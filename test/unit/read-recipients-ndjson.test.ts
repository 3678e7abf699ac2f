/** The NDJSON recipient reader, through the one reader entry point. */
import { describe, expect, it } from 'vitest';
import { useFixtureDir, readFile, expectSameAtEveryCut, accepted } from '../support/read-recipients-harness.ts';

useFixtureDir();


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
