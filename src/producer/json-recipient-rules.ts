/**
 * The field rules for a recipient given as a JSON object (an NDJSON line, a JSON array element,
 * an API request's inline recipient): a flat object, the phone as a string or a whole number,
 * scalar fields only.
 */
import { REPLACEMENT_CHAR, newFields, quoteList, quoteValue, reject, type ReadItem } from './recipient-row-rules.ts';

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Applies the field rules to one parsed JSON value: flat object, phone string or number, scalar fields. */
export function jsonToItem(value: unknown, line: number, raw: string, phoneField: string): ReadItem {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject(line, 'invalid_json', `expected a JSON object like {"${phoneField}": "4915…"}, got ${describeJsonType(value)}`, raw);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const wanted = phoneField.toLowerCase();
  const phoneKeys = keys.filter((key) => key.toLowerCase() === wanted);
  if (phoneKeys.length > 1) {
    return reject(line, 'invalid_field', `keys ${quoteList(phoneKeys)} differ only in case: keep one phone key`, raw);
  }
  const phoneKey = phoneKeys[0];
  const phoneValue = phoneKey === undefined ? undefined : record[phoneKey];
  let phone: string;
  if (phoneValue === undefined || phoneValue === null) {
    const found = keys.length > 0 ? `keys found: ${quoteList(keys)}` : 'the object is empty';
    return reject(line, 'missing_phone', `no "${phoneField}" value (${found})`, raw);
  } else if (typeof phoneValue === 'string') {
    phone = phoneValue.trim();
  } else if (typeof phoneValue === 'number') {
    // Beyond 2^53 a JSON number has already been rounded by the parser; a fraction or sign is not a phone.
    if (!Number.isSafeInteger(phoneValue) || phoneValue < 0) {
      return reject(line, 'invalid_field', `${quoteValue(phoneKey!)} is the number ${phoneValue}, which is not an exact whole number: write the phone as a string`, raw);
    }
    phone = String(phoneValue);
  } else {
    return reject(line, 'invalid_field', `${quoteValue(phoneKey!)} must be a string or a number, got ${describeJsonType(phoneValue)}`, raw);
  }
  if (phone === '') return reject(line, 'missing_phone', `${quoteValue(phoneKey!)} is empty`, raw);

  const fields = newFields();
  const nested: string[] = [];
  for (const key of keys) {
    if (key === phoneKey) continue;
    const field = record[key];
    if (typeof field === 'string') fields[key] = field;
    else if (typeof field === 'number' || typeof field === 'boolean') fields[key] = String(field);
    else if (field !== null) nested.push(key);
    // null is left out, so a placeholder that needs it is reported as missing rather than sent empty.
  }
  if (nested.length > 0) {
    return reject(
      line,
      'invalid_field',
      `${nested.length === 1 ? 'field' : 'fields'} ${quoteList(nested)} ${nested.length === 1 ? 'is' : 'are'} nested (object or array): only strings, numbers and booleans are allowed; flatten them into their own keys`,
      raw,
    );
  }
  return { ok: true, recipient: { line, phone, fields } };
}

/** Parses one record's JSON text (`what` names it in reasons: "the line", "the element") and applies the field rules. */
export function parseJsonRecord(text: string, line: number, phoneField: string, what: string): ReadItem {
  if (text.includes(REPLACEMENT_CHAR)) {
    return reject(line, 'invalid_utf8', `${what} contains bytes that are not valid UTF-8: save the file as UTF-8`, text);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return reject(line, 'invalid_json', `invalid JSON: ${(error as Error).message}`, text);
  }
  return jsonToItem(value, line, text, phoneField);
}
