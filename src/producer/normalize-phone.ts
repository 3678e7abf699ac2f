/**
 * Phone normalisation for recipient files: turns what people type into spreadsheets
 * ("+49 (0)151 123-45 67", "0049 151 1234567") into the digits-only international form the
 * WhatsApp API takes as `to` ("4915112345671"). No country guessing: a number without its
 * country code is rejected with a reason, never completed.
 */
import { shortenValue } from './recipient-row-rules.ts';

/** Result of {@link normalizePhone}: the digits-only international number, or why it is not one. */
export type PhoneResult = { ok: true; phone: string } | { ok: false; reason: string };

/** E.164 allows at most 15 digits; below 8 no real international number exists. */
const MIN_DIGITS = 8;
const MAX_DIGITS = 15;

/**
 * Separators people put in numbers: whitespace (incl. the no-break spaces spreadsheets and
 * copy-paste produce), dots, parentheses, and the ASCII hyphen plus the Unicode dashes that
 * word processors substitute for it.
 */
const SEPARATORS = /[\s.()\-\u2010-\u2015\u2212]/gu;

/**
 * "+49 (0)151 …": the "(0)" is the national trunk prefix, by convention (ITU-T E.123) dropped
 * when dialling internationally. Keeping its 0 would produce a different, often valid-looking
 * number, so it is removed, but only after an international prefix and at least one digit.
 */
const TRUNK_ZERO = /^(\s*(?:\+|00)[\d\s.\-\u2010-\u2015\u2212]*\d[\s.\-\u2010-\u2015\u2212]*)\(\s*0\s*\)/u;

/** What Excel makes of a long number in a column not formatted as text: 4.91511E+12. */
const SCIENTIFIC = /^\d+(?:[.,]\d+)?e\+?\d+$/iu;

/**
 * Normalises a raw phone string to digits-only international form without a leading '+'.
 *
 * Strips whitespace, dots, dashes and parentheses, a leading `+` or `00`, and a "(0)" trunk
 * prefix written after the country code. The result must be 8–15 digits and must not start
 * with 0; anything else is rejected with a reason that says what is wrong and how to fix it.
 */
export function normalizePhone(raw: string): PhoneResult {
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, reason: 'empty phone number' };
  // Reasons are stored per rejected row: a whole (possibly huge) cell must not be copied into them.
  const shown = shortenValue(trimmed);
  if (SCIENTIFIC.test(trimmed)) {
    return {
      ok: false,
      reason: `"${shown}" is a number in scientific notation (a spreadsheet rounded it): format the phone column as text and export again`,
    };
  }
  if (/\p{L}/u.test(trimmed)) {
    return { ok: false, reason: `contains letters ("${shown}"): only digits, spaces, '+', '-', '.', '(' and ')' are allowed` };
  }

  let digits = trimmed.replace(TRUNK_ZERO, '$1').replace(SEPARATORS, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);

  const bad = /\D/u.exec(digits);
  if (bad !== null) {
    const char = bad[0];
    const what = char === '+' ? "'+' is only allowed at the start" : `contains the character "${char}"`;
    return { ok: false, reason: `${what} ("${shown}"): only digits, spaces, '+', '-', '.', '(' and ')' are allowed` };
  }
  if (digits === '') return { ok: false, reason: `no digits in "${shown}"` };
  if (digits.startsWith('0')) {
    return {
      ok: false,
      reason: `starts with 0 after removing '+'/'00' ("${shown}"): use the international format with country code, e.g. 4915… instead of 015…`,
    };
  }
  if (digits.length < MIN_DIGITS) {
    return { ok: false, reason: `too short: ${digits.length} digits, need ${MIN_DIGITS}–${MAX_DIGITS} including the country code` };
  }
  if (digits.length > MAX_DIGITS) {
    return { ok: false, reason: `too long: ${digits.length} digits, need ${MIN_DIGITS}–${MAX_DIGITS} (E.164 maximum is ${MAX_DIGITS})` };
  }
  return { ok: true, phone: digits };
}
