/**
 * What every recipient file format shares: the item types the readers yield, and the row rules
 * (how a rejected row is reported and bounded, how fields are stored, what a file error says).
 */
import { LitecastError } from '../shared/errors.ts';

/** Supported recipient file formats. */
export type RecipientFormat = 'csv' | 'ndjson' | 'json';

/**
 * One row read from the file: `line` is the 1-based line where the record starts in the file.
 * `fields` is a prototype-free map (see {@link newFields}), so a column named `constructor` or
 * `__proto__` is an ordinary field and a missing one is simply absent.
 */
export type RawRecipient = { line: number; phone: string; fields: Record<string, string> };

/** Why the reader rejected a row. The producer adds its own codes (invalid phone, duplicates, …). */
export type RejectCode = 'missing_phone' | 'column_count' | 'invalid_json' | 'invalid_field' | 'invalid_utf8';

/**
 * A row the reader could not turn into a recipient; `raw` is the first 200 characters of the row,
 * for the report. (Intake stores it, with the producer's own rejections, as a campaign-store `RejectedRow`.)
 */
export type UnreadableRow = { line: number; reason: string; code: RejectCode; raw?: string };

/** What a recipient reader yields for each record. */
export type ReadItem = { ok: true; recipient: RawRecipient } | { ok: false; rejected: UnreadableRow };

/**
 * Longest record accepted, in characters (bytes for CSV). Recipient rows are tiny; a record
 * this long means a broken file (typically a quote that is never closed, which would otherwise
 * swallow the rest of the file into one field and grow memory with the file).
 */
export const MAX_RECORD_LENGTH = 1024 * 1024;

/** How much of a rejected row goes into the report. */
export const RAW_PREVIEW_LENGTH = 200;

/**
 * How much of a value is quoted in a reason. Reasons are stored per rejected row; quoting a whole
 * cell made a 5 MB upload store 10 MB.
 */
const QUOTED_VALUE_LENGTH = 64;

export const REPLACEMENT_CHAR = '\uFFFD';

/** A whole-file problem: stops the read with `LITECAST_ERR_BAD_RECIPIENTS`. */
export function fileError(message: string, details: Record<string, unknown>, cause?: unknown): LitecastError {
  return new LitecastError('LITECAST_ERR_BAD_RECIPIENTS', message, details, cause === undefined ? undefined : { cause });
}

/** True for the four JSON whitespace bytes. */
export function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** The first `max` characters of `text`, without cutting a surrogate pair in half. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/u.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** First characters of a row for the report. */
export function preview(text: string): string {
  return cut(text, RAW_PREVIEW_LENGTH);
}

/** A value as a reason shows it: cut to 64 characters with an ellipsis. */
export function shortenValue(value: string): string {
  return value.length <= QUOTED_VALUE_LENGTH ? value : `${cut(value, QUOTED_VALUE_LENGTH)}…`;
}

/** A value quoted for a reason: JSON-quoted, cut to 64 characters with an ellipsis. */
export function quoteValue(value: string): string {
  return value.length <= QUOTED_VALUE_LENGTH ? JSON.stringify(value) : `${JSON.stringify(cut(value, QUOTED_VALUE_LENGTH))}…`;
}

/** Quoted names for a reason, at most `max` of them, each bounded by {@link quoteValue}. */
export function quoteList(names: readonly string[], max = 20): string {
  const shown = names.slice(0, max).map(quoteValue);
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

/** A rejected item; the reason's length is bounded too, whatever went into it. */
export function reject(line: number, code: RejectCode, reason: string, raw: string): ReadItem {
  return { ok: false, rejected: { line, code, reason: cut(reason, 4 * QUOTED_VALUE_LENGTH + 200), raw: preview(raw) } };
}

/**
 * A prototype-free field map: a column named `__proto__`, `constructor` or `toString` is stored
 * and looked up as an ordinary key, and a missing one reads as undefined.
 */
export function newFields(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
