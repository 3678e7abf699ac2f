/**
 * Streaming reader for recipient files (CSV, NDJSON, JSON array): the one entry point, which
 * picks the format's reader. Each turns a byte stream into one {@link ReadItem} per record, with
 * the 1-based line where the record starts, in constant memory: nothing is buffered beyond the
 * current input chunk and the record being read. The input is paced (see `pace-chunks.ts`), so a
 * long read never holds the event loop.
 *
 * Row problems (bad JSON on one line, wrong column count, missing phone, invalid UTF-8) become
 * rejected items so one bad row does not stop a million good ones. Whole-file problems (no
 * phone column, JSON that is not an array, an unclosed quote, truncated JSON) throw a
 * LitecastError with code `LITECAST_ERR_BAD_RECIPIENTS` whose message names the line and says
 * what to do. The phone is only extracted here; see `normalize-phone.ts`.
 */
import { jsonToItem } from './json-recipient-rules.ts';
import { paceChunks } from './pace-chunks.ts';
import { readCsv } from './read-csv-recipients.ts';
import { readJsonArray } from './read-json-array-recipients.ts';
import { readNdjson } from './read-ndjson-recipients.ts';
import { isJsonWhitespace, preview, type ReadItem, type RecipientFormat } from './recipient-row-rules.ts';

export type { RawRecipient, ReadItem, RecipientFormat, RejectCode, UnreadableRow } from './recipient-row-rules.ts';

/** Options for {@link readRecipients}. */
export type ReadRecipientsOptions = {
  /** Column (CSV) or key (JSON) holding the phone number, matched case-insensitively. Default `phone`. */
  phoneField?: string;
  /**
   * Columns a CSV header must have: the template's placeholders. A placeholder that is not a
   * column stops the file at the header, naming it (JSON records have no header: a record
   * without the key is rejected on its own).
   */
  requiredColumns?: readonly string[];
};

/**
 * Picks the format of a recipient file: by extension (`.csv`/`.tsv`, `.ndjson`/`.jsonl`,
 * `.json`, case-insensitive) when there is one, else by the first significant character of
 * `firstBytes` after a UTF-8 BOM and whitespace: `[` → json, `{` → ndjson, anything else → csv.
 */
export function detectRecipientFormat(fileName: string | undefined, firstBytes: Buffer): RecipientFormat {
  const extension = /\.([a-z0-9]+)$/iu.exec(fileName ?? '')?.[1]?.toLowerCase();
  if (extension === 'csv' || extension === 'tsv') return 'csv';
  if (extension === 'ndjson' || extension === 'jsonl') return 'ndjson';
  if (extension === 'json') return 'json';

  let i = 0;
  if (firstBytes[0] === 0xef && firstBytes[1] === 0xbb && firstBytes[2] === 0xbf) i = 3;
  while (i < firstBytes.length && isJsonWhitespace(firstBytes[i] ?? 0)) i++;
  const first = firstBytes[i];
  if (first === 0x5b /* [ */) return 'json';
  if (first === 0x7b /* { */) return 'ndjson';
  return 'csv';
}

/**
 * Reads recipients from a stream, one {@link ReadItem} per record, in file order.
 *
 * Memory stays flat however large the file: records are parsed chunk by chunk and yielded as
 * they complete. Throws a LitecastError (`LITECAST_ERR_BAD_RECIPIENTS`) for problems that
 * concern the whole file, after yielding every record that precedes the problem. An empty
 * file, or a CSV with only a header, yields nothing.
 */
export async function* readRecipients(
  input: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
  format: RecipientFormat,
  options: ReadRecipientsOptions = {},
): AsyncGenerator<ReadItem> {
  const phoneField = (options.phoneField ?? 'phone').trim();
  if (phoneField === '') throw new TypeError('phoneField must not be empty');
  const source = paceChunks(input as AsyncIterable<Buffer | Uint8Array | string>);
  switch (format) {
    case 'csv':
      yield* readCsv(source, phoneField, options.requiredColumns);
      return;
    case 'ndjson':
      yield* readNdjson(source, phoneField);
      return;
    case 'json':
      yield* readJsonArray(source, phoneField);
      return;
    default:
      throw new TypeError(`unknown recipient format ${JSON.stringify(format)}: expected csv, ndjson or json`);
  }
}

/**
 * Recipients already parsed (an API request's inline `recipients` array), under the same field
 * rules as a JSON file: `line` is the element's position, 1-based.
 */
export function* recipientsFromValues(values: readonly unknown[], options: ReadRecipientsOptions = {}): Generator<ReadItem> {
  const phoneField = (options.phoneField ?? 'phone').trim();
  for (const [i, value] of values.entries()) yield jsonToItem(value, i + 1, preview(JSON.stringify(value) ?? ''), phoneField);
}
