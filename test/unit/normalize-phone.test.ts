import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../../src/producer/normalize-phone.ts';

function reasonOf(raw: string): string {
  const result = normalizePhone(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected, got ${result.phone}`);
  return result.reason;
}

describe('normalizePhone', () => {
  it.each([
    ['4915112345678', '4915112345678'],
    ['+4915112345678', '4915112345678'],
    ['004915112345678', '4915112345678'],
    ['+49 151 1234 5678', '4915112345678'],
    ['+49-151-1234-5678', '4915112345678'],
    ['+49.151.1234.5678', '4915112345678'],
    ['+1 (415) 555-0123', '14155550123'],
    ['00 44 20 7946 0958', '442079460958'],
    ['  +49 151 12345678  ', '4915112345678'],
    ['+49\u00a0151\u00a012345678', '4915112345678'],
    ['+49 151 \u2013 12345678', '4915112345678'],
    ['+49 (0)151 12345678', '4915112345678'],
    ['0049 (0) 151 12345678', '4915112345678'],
    ['12345678', '12345678'],
    ['123456789012345', '123456789012345'],
  ])('normalises %j to %s', (raw, expected) => {
    expect(normalizePhone(raw)).toEqual({ ok: true, phone: expected });
  });

  it('rejects letters, saying so', () => {
    expect(reasonOf('+49 151 CALL ME')).toMatch(/contains letters/);
    expect(reasonOf('tel:+4915112345678')).toMatch(/contains letters/);
  });

  it('rejects other characters, naming the character', () => {
    expect(reasonOf('+49 151 1234#5678')).toMatch(/contains the character "#"/);
    expect(reasonOf('+49/151/12345678')).toMatch(/contains the character "\/"/);
    expect(reasonOf('49+15112345678')).toMatch(/'\+' is only allowed at the start/);
    expect(reasonOf('++4915112345678')).toMatch(/'\+' is only allowed at the start/);
  });

  it('rejects numbers that are too short or too long, with the digit count', () => {
    expect(reasonOf('+49 1512')).toBe('too short: 6 digits, need 8–15 including the country code');
    expect(reasonOf('1234567890123456')).toBe('too long: 16 digits, need 8–15 (E.164 maximum is 15)');
  });

  it('rejects national numbers starting with 0 and says to use the country code', () => {
    const reason = reasonOf('0151 12345678');
    expect(reason).toMatch(/^starts with 0/);
    expect(reason).toMatch(/international format with country code, e\.g\. 4915…/);
    expect(reasonOf('+0049 151 12345678')).toMatch(/^starts with 0/);
    expect(reasonOf('000')).toMatch(/^starts with 0/);
  });

  it('keeps "(0)" as a rejection when there is no international prefix (no country guessing)', () => {
    expect(reasonOf('(0)151 12345678')).toMatch(/^starts with 0/);
  });

  it('rejects empty input and input without digits', () => {
    expect(reasonOf('')).toBe('empty phone number');
    expect(reasonOf('   ')).toBe('empty phone number');
    expect(reasonOf('+')).toMatch(/no digits/);
    expect(reasonOf('( - )')).toMatch(/no digits/);
  });

  it('explains numbers a spreadsheet turned into scientific notation', () => {
    expect(reasonOf('4.91511E+12')).toMatch(/scientific notation.*format the phone column as text/);
    expect(reasonOf('4,91511E+12')).toMatch(/scientific notation/);
  });
});
