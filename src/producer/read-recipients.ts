/**
 * Streaming reader for recipient files (CSV, NDJSON, JSON array). It turns a byte stream into
 * one {@link ReadItem} per record, with the 1-based line where the record starts, in constant
 * memory: nothing is buffered beyond the current input chunk and the record being read.
 *
 * Row problems (bad JSON on one line, wrong column count, missing phone, invalid UTF-8) become
 * rejected items so one bad row does not stop a million good ones. Whole-file problems (no
 * phone column, JSON that is not an array, an unclosed quote, truncated JSON) throw a
 * {@link LitecastError} with code `LITECAST_ERR_BAD_RECIPIENTS` whose message names the line
 * and says what to do. The phone is only extracted here; see `normalize-phone.ts`.
 */
import { once } from 'node:events';
import { parse, type Parser } from 'csv-parse';
import { LitecastError } from '../shared/errors.ts';

/** Supported recipient file formats. */
export type RecipientFormat = 'csv' | 'ndjson' | 'json';

/** One row read from the file: `line` is the 1-based line where the record starts in the file. */
export type RawRecipient = { line: number; phone: string; fields: Record<string, string> };

/** Why the reader rejected a row. The producer adds its own codes (invalid phone, duplicates, …). */
export type RejectCode = 'missing_phone' | 'column_count' | 'invalid_json' | 'invalid_field' | 'invalid_utf8';

/** A row the reader could not turn into a recipient; `raw` is the first 200 characters of the row, for the report. */
export type RejectedRow = { line: number; reason: string; code: RejectCode; raw?: string };

/** What {@link readRecipients} yields for each record. */
export type ReadItem = { ok: true; recipient: RawRecipient } | { ok: false; rejected: RejectedRow };

/** Options for {@link readRecipients}. */
export type ReadRecipientsOptions = {
  /** Column (CSV) or key (JSON) holding the phone number, matched case-insensitively. Default `phone`. */
  phoneField?: string;
};

/**
 * Longest record accepted, in characters (bytes for CSV). Recipient rows are tiny; a record
 * this long means a broken file (typically a quote that is never closed, which would otherwise
 * swallow the rest of the file into one field and grow memory with the file).
 */
const MAX_RECORD_LENGTH = 1024 * 1024;

/** How much of a rejected row goes into the report. */
const RAW_PREVIEW_LENGTH = 200;

/** How many bytes the CSV reader looks at to find the header line and its delimiter. */
const SNIFF_LIMIT = 64 * 1024;

const REPLACEMENT_CHAR = '\uFFFD';

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
 * they complete. Throws a {@link LitecastError} (`LITECAST_ERR_BAD_RECIPIENTS`) for problems
 * that concern the whole file, after yielding every record that precedes the problem. An empty
 * file, or a CSV with only a header, yields nothing.
 */
export async function* readRecipients(
  input: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
  format: RecipientFormat,
  options: ReadRecipientsOptions = {},
): AsyncGenerator<ReadItem> {
  const phoneField = (options.phoneField ?? 'phone').trim();
  if (phoneField === '') throw new TypeError('phoneField must not be empty');
  const source = input as AsyncIterable<Buffer | Uint8Array | string>;
  switch (format) {
    case 'csv':
      yield* readCsv(source, phoneField);
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

// ---------------------------------------------------------------------------------------------
// Shared helpers

function fileError(message: string, details: Record<string, unknown>, cause?: unknown): LitecastError {
  return new LitecastError('LITECAST_ERR_BAD_RECIPIENTS', message, details, cause === undefined ? undefined : { cause });
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** First characters of a row for the report, without cutting a surrogate pair in half. */
function preview(text: string): string {
  if (text.length <= RAW_PREVIEW_LENGTH) return text;
  const end = /[\uD800-\uDBFF]/u.test(text.charAt(RAW_PREVIEW_LENGTH - 1)) ? RAW_PREVIEW_LENGTH - 1 : RAW_PREVIEW_LENGTH;
  return text.slice(0, end);
}

function reject(line: number, code: RejectCode, reason: string, raw: string): ReadItem {
  return { ok: false, rejected: { line, code, reason, raw: preview(raw) } };
}

/**
 * Assigns a field without letting a key named `__proto__` (legal in both CSV headers and JSON)
 * replace the object's prototype instead of becoming a field.
 */
function setField(fields: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') {
    Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    fields[key] = value;
  }
}

function quoteList(names: readonly string[], max = 20): string {
  const shown = names.slice(0, max).map((name) => JSON.stringify(name));
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

/** Decodes chunks as UTF-8 across chunk boundaries; invalid bytes become U+FFFD (rejected later, per row). */
async function* decodeUtf8(input: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<string> {
  // The decoder also drops a leading BOM (ignoreBOM: false), in bytes or split across chunks.
  const decoder = new TextDecoder('utf-8');
  let first = true;
  for await (const chunk of input) {
    let text = typeof chunk === 'string' ? decoder.decode() + chunk : decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}

async function* toBuffers(input: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else if (Buffer.isBuffer(chunk)) yield chunk;
    else yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

const CSV_DELIMITERS = [',', ';', '\t'] as const;
type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

/**
 * Finds the delimiter of the header line: the most frequent of `,` `;` tab outside quotes, so
 * the semicolon CSVs Excel writes in many European locales read without an option. Returns
 * undefined while the first non-blank line is incomplete and more input may follow.
 */
function sniffDelimiter(head: Buffer, complete: boolean): CsvDelimiter | undefined {
  const counts = [0, 0, 0];
  let quoting = false;
  let seenContent = false;
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  for (; i < head.length; i++) {
    const byte = head[i];
    if (byte === 0x22 /* " */) quoting = !quoting;
    else if (quoting) continue;
    else if (byte === 0x0a || byte === 0x0d) {
      if (seenContent) return pickDelimiter(counts);
    } else if (byte === 0x2c) counts[0]!++;
    else if (byte === 0x3b) counts[1]!++;
    else if (byte === 0x09) counts[2]!++;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) seenContent = true;
  }
  return complete || head.length >= SNIFF_LIMIT ? pickDelimiter(counts) : undefined;
}

function pickDelimiter(counts: readonly number[]): CsvDelimiter {
  let best = 0;
  for (let i = 1; i < counts.length; i++) if ((counts[i] ?? 0) > (counts[best] ?? 0)) best = i;
  return CSV_DELIMITERS[best] ?? ',';
}

/**
 * Line breaks inside a record. Only quoted fields can hold them and csv-parse keeps quoted
 * content verbatim, so counting them in the fields gives the record's height in lines, counted
 * as csv-parse counts (CRLF, LF and a lone CR are one line break each).
 */
function countLineBreaks(record: readonly string[]): number {
  let breaks = 0;
  for (const field of record) {
    if (field.indexOf('\n') === -1 && field.indexOf('\r') === -1) continue;
    for (let i = 0; i < field.length; i++) {
      const c = field.charCodeAt(i);
      if (c === 0x0a || (c === 0x0d && field.charCodeAt(i + 1) !== 0x0a)) breaks++;
    }
  }
  return breaks;
}

function isBlankRecord(record: readonly string[]): boolean {
  for (const field of record) if (field.trim() !== '') return false;
  return true;
}

/** Re-serialises a parsed row for the report (csv-parse only keeps the source text at a per-row cost). */
function csvPreview(record: readonly string[], delimiter: string): string {
  let out = '';
  for (let i = 0; i < record.length && out.length < RAW_PREVIEW_LENGTH; i++) {
    const field = record[i] ?? '';
    const needsQuotes = field.includes(delimiter) || field.includes('"') || /[\r\n]/u.test(field);
    out += (i > 0 ? delimiter : '') + (needsQuotes ? `"${field.replace(/"/gu, '""')}"` : field);
  }
  return out;
}

/** Header state and per-row conversion for one CSV file. */
class CsvRows {
  /** Line on which the next record starts; csv-parse is told to keep blank lines so this stays exact. */
  private nextLine = 1;
  private header: string[] | undefined;
  private phoneIndex = -1;

  constructor(
    private readonly phoneField: string,
    private readonly delimiter: CsvDelimiter,
  ) {}

  /** Line on which the record currently being parsed starts, for error messages. */
  get currentLine(): number {
    return this.nextLine;
  }

  /** Converts one parsed record; returns undefined for the header and blank rows. */
  accept(record: string[]): ReadItem | undefined {
    const line = this.nextLine;
    this.nextLine += 1 + countLineBreaks(record);
    // Blank lines, whitespace-only lines and rows of empty cells (",,," from spreadsheets) carry nothing.
    if (isBlankRecord(record)) return undefined;
    if (this.header === undefined) {
      this.readHeader(record, line);
      return undefined;
    }
    return this.toItem(record, line, this.header);
  }

  private readHeader(record: string[], line: number): void {
    const names = record.map((name) => name.trim());
    if (names.some((name) => name.includes(REPLACEMENT_CHAR))) {
      throw fileError(
        `CSV header (line ${line}) is not valid UTF-8: the file is probably saved in a legacy encoding such as Windows-1252. Save it as "CSV UTF-8" and try again.`,
        { line, format: 'csv' },
      );
    }
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    for (const name of names) {
      if (name === '') continue;
      const key = name.toLowerCase();
      const earlier = seen.get(key);
      if (earlier === undefined) seen.set(key, name);
      else duplicates.push(earlier === name ? name : `${earlier}/${name}`);
    }
    if (duplicates.length > 0) {
      throw fileError(
        `CSV header (line ${line}) has duplicate column names: ${quoteList(duplicates)} (names are compared ignoring case). Rename or remove the duplicates so every column has one meaning.`,
        { line, format: 'csv', duplicates },
      );
    }
    const wanted = this.phoneField.toLowerCase();
    this.phoneIndex = names.findIndex((name) => name.toLowerCase() === wanted);
    if (this.phoneIndex === -1) {
      const found = names.filter((name) => name !== '');
      const looksLikeData = found.some((name) => /^\+?[\d\s().-]{6,}$/u.test(name));
      const hint = looksLikeData
        ? ` Line ${line} looks like data rather than a header: add a first line naming the columns, e.g. "${this.phoneField}${this.delimiter}name".`
        : ` Rename the column that holds the numbers to "${this.phoneField}".`;
      throw fileError(
        `CSV header (line ${line}) has no "${this.phoneField}" column; columns found: ${found.length > 0 ? quoteList(found) : '(none)'}.${hint}`,
        { line, format: 'csv', columns: found, delimiter: this.delimiter },
      );
    }
    this.header = names;
  }

  private toItem(record: string[], line: number, header: string[]): ReadItem {
    for (let i = 0; i < record.length; i++) {
      if (record[i]!.includes(REPLACEMENT_CHAR)) {
        const column = header[i] ?? `#${i + 1}`;
        return reject(
          line,
          'invalid_utf8',
          `column "${column}" contains bytes that are not valid UTF-8: save the file as UTF-8`,
          csvPreview(record, this.delimiter),
        );
      }
    }
    if (record.length !== header.length) {
      const hint =
        record.length > header.length
          ? `; a value containing "${this.delimiter === '\t' ? '\\t' : this.delimiter}" must be in double quotes`
          : '';
      return reject(
        line,
        'column_count',
        `expected ${header.length} columns as in the header, got ${record.length}${hint}`,
        csvPreview(record, this.delimiter),
      );
    }
    const phone = record[this.phoneIndex]!.trim();
    if (phone === '') {
      return reject(line, 'missing_phone', `the "${header[this.phoneIndex]}" column is empty`, csvPreview(record, this.delimiter));
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) {
      const name = header[i]!;
      // Unnamed columns (a trailing delimiter in the header, common in spreadsheet exports) carry no placeholder.
      if (i === this.phoneIndex || name === '') continue;
      setField(fields, name, record[i]!);
    }
    return { ok: true, recipient: { line, phone, fields } };
  }
}

async function* readCsv(input: AsyncIterable<Buffer | Uint8Array | string>, phoneField: string): AsyncGenerator<ReadItem> {
  let parser: Parser | undefined;
  let rows: CsvRows | undefined;
  let head: Buffer[] = [];
  let headLength = 0;
  const out: ReadItem[] = [];

  const start = (delimiter: CsvDelimiter): Parser => {
    rows = new CsvRows(phoneField, delimiter);
    const created = parse({
      bom: true,
      delimiter,
      // Explicit, so a file mixing CRLF and LF is read right (auto-discovery fixes the first kind seen).
      record_delimiter: ['\r\n', '\n', '\r'],
      // Column count is checked per row by us, so a short or long row becomes a rejected row.
      relax_column_count: true,
      // A stray quote inside an unquoted value (5" screen) is kept as text instead of failing the file.
      relax_quotes: true,
      // Blank lines are dropped by CsvRows, not csv-parse, so line numbers can be counted from records.
      skip_empty_lines: false,
      max_record_size: MAX_RECORD_LENGTH,
    });
    // Errors are taken from the write/end callbacks; this only keeps the emitter from throwing.
    created.on('error', () => undefined);
    return created;
  };

  // Records are pushed synchronously while a chunk is written; reading them straight away keeps
  // the object buffer to one chunk's worth and lets us yield them in batches.
  const drain = (active: Parser): void => {
    let record: unknown;
    while ((record = active.read()) !== null) {
      const item = rows!.accept(record as string[]);
      if (item !== undefined) out.push(item);
    }
  };

  /** Writes one chunk and collects its records; returns the whole-file error it caused, if any. */
  const feed = async (active: Parser, chunk: Buffer): Promise<Error | undefined> => {
    const written = new Promise<void>((resolve, reject) => active.write(chunk, (error) => (error ? reject(error) : resolve())));
    // A header error thrown by drain() leaves this promise unobserved; it must not become unhandled.
    written.catch(() => undefined);
    drain(active);
    try {
      await written;
    } catch (error) {
      // Records parsed before the error were drained above and are still yielded, then the file fails.
      return csvFileError(error, rows!.currentLine);
    }
    drain(active);
    return undefined;
  };

  try {
    for await (const chunk of toBuffers(input)) {
      let failure: Error | undefined;
      if (parser === undefined) {
        // The delimiter is decided from the header line before any record is parsed.
        head.push(chunk);
        headLength += chunk.length;
        const joined = head.length === 1 ? chunk : Buffer.concat(head, headLength);
        const delimiter = sniffDelimiter(joined, false);
        if (delimiter === undefined) continue;
        head = [];
        parser = start(delimiter);
        failure = await feed(parser, joined);
      } else {
        failure = await feed(parser, chunk);
      }
      for (const item of out.splice(0, out.length)) yield item;
      if (failure !== undefined) throw failure;
    }
    if (parser === undefined) {
      if (headLength === 0) return;
      const joined = Buffer.concat(head, headLength);
      parser = start(sniffDelimiter(joined, true) ?? ',');
      const failure = await feed(parser, joined);
      for (const item of out.splice(0, out.length)) yield item;
      if (failure !== undefined) throw failure;
    }
    // The last record has no line break after it and is only emitted by the flush at end().
    const finished = once(parser, 'finish');
    parser.end();
    try {
      await finished;
    } catch (error) {
      throw csvFileError(error, rows!.currentLine);
    }
    drain(parser);
    for (const item of out.splice(0, out.length)) yield item;
  } finally {
    parser?.destroy();
  }
}

function csvFileError(error: unknown, line: number): Error {
  if (error instanceof LitecastError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === 'CSV_QUOTE_NOT_CLOSED' || code === 'CSV_MAX_RECORD_SIZE') {
    return fileError(
      `CSV record starting at line ${line} never ends: a quoted value opened there is not closed (or the record is longer than ${MAX_RECORD_LENGTH} bytes). Check the double quotes on that line; a literal quote inside a quoted value is written "".`,
      { line, format: 'csv' },
      error,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return fileError(`CSV file cannot be parsed near line ${line}: ${message}`, { line, format: 'csv' }, error);
}

// ---------------------------------------------------------------------------------------------
// JSON objects (shared by NDJSON and JSON arrays)

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Applies the field rules to one parsed JSON value: flat object, phone string or number, scalar fields. */
function jsonToItem(value: unknown, line: number, raw: string, phoneField: string): ReadItem {
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
      return reject(line, 'invalid_field', `"${phoneKey}" is the number ${phoneValue}, which is not an exact whole number: write the phone as a string`, raw);
    }
    phone = String(phoneValue);
  } else {
    return reject(line, 'invalid_field', `"${phoneKey}" must be a string or a number, got ${describeJsonType(phoneValue)}`, raw);
  }
  if (phone === '') return reject(line, 'missing_phone', `"${phoneKey}" is empty`, raw);

  const fields: Record<string, string> = {};
  const nested: string[] = [];
  for (const key of keys) {
    if (key === phoneKey) continue;
    const field = record[key];
    if (typeof field === 'string') setField(fields, key, field);
    else if (typeof field === 'number' || typeof field === 'boolean') setField(fields, key, String(field));
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

function parseJsonRecord(text: string, line: number, phoneField: string, what: string): ReadItem {
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

// ---------------------------------------------------------------------------------------------
// NDJSON

async function* readNdjson(input: AsyncIterable<Buffer | Uint8Array | string>, phoneField: string): AsyncGenerator<ReadItem> {
  let pending = '';
  let line = 1;
  const take = (text: string): ReadItem | undefined => {
    const current = line++;
    const content = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (content.length > MAX_RECORD_LENGTH) throw ndjsonTooLong(current);
    if (content.trim() === '') return undefined;
    return parseJsonRecord(content, current, phoneField, 'the line');
  };

  for await (const text of decodeUtf8(input)) {
    const batch: ReadItem[] = [];
    let from = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      const item = take(pending + text.slice(from, newline));
      pending = '';
      if (item !== undefined) batch.push(item);
      from = newline + 1;
      newline = text.indexOf('\n', from);
    }
    pending += text.slice(from);
    yield* batch;
    if (pending.length > MAX_RECORD_LENGTH + 1) throw ndjsonTooLong(line);
  }
  if (pending !== '') {
    const item = take(pending);
    if (item !== undefined) yield item;
  }
}

function ndjsonTooLong(line: number): LitecastError {
  return fileError(
    `NDJSON line ${line} is longer than ${MAX_RECORD_LENGTH} characters: a recipient is one small JSON object per line. Is this file really NDJSON?`,
    { line, format: 'ndjson' },
  );
}

// ---------------------------------------------------------------------------------------------
// JSON array

/** One top-level element of a JSON array, as source text, with the line it starts on. */
type JsonElement = { line: number; text: string };

/**
 * Incremental splitter for a top-level JSON array. It tracks string/escape state and the
 * bracket stack across chunks and cuts out each top-level element's text, which is then parsed
 * on its own, so memory is bounded by the largest element, not the file.
 *
 * A syntax error inside a bracket-balanced element is that element's problem (a rejected row;
 * the splitter resyncs at the next top-level comma). Errors in the array structure (missing
 * comma, mismatched bracket, unclosed string or array, data after the array) cannot be resynced
 * reliably and stop the file with a {@link LitecastError} naming the line.
 */
class JsonArraySplitter {
  private line = 1;
  private state: 'before' | 'first' | 'value' | 'separator' | 'after' = 'before';
  private inElement = false;
  private scalar = false;
  private inString = false;
  private escaped = false;
  private readonly stack: number[] = [];
  private parts: string[] = [];
  private partsLength = 0;
  private elementLine = 0;

  /** Splits one chunk; completed elements are appended to `out` even when it then throws. */
  push(text: string, out: JsonElement[]): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inElement) {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 0x5c /* \ */) this.escaped = true;
          else if (c === 0x22 /* " */) {
            this.inString = false;
            if (this.stack.length === 0) this.finish(text, start, i + 1, out);
          } else if (c === 0x0a) this.line++;
          continue;
        }
        if (this.scalar) {
          // A number or literal ends at the first delimiter, which is then handled between elements.
          if (c !== 0x2c && c !== 0x5d && c !== 0x7d && !isJsonWhitespace(c)) continue;
          this.finish(text, start, i, out);
        } else {
          if (c === 0x22) this.inString = true;
          else if (c === 0x7b /* { */ || c === 0x5b /* [ */) this.stack.push(c);
          else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
            const open = this.stack.pop();
            if (open !== (c === 0x7d ? 0x7b : 0x5b)) {
              throw this.error(`mismatched "${String.fromCharCode(c)}" at line ${this.line} in the element starting at line ${this.elementLine}`);
            }
            if (this.stack.length === 0) this.finish(text, start, i + 1, out);
          } else if (c === 0x0a) this.line++;
          continue;
        }
      }
      if (isJsonWhitespace(c)) {
        if (c === 0x0a) this.line++;
        continue;
      }
      switch (this.state) {
        case 'before':
          if (c !== 0x5b) {
            const hint =
              c === 0x7b
                ? 'it starts with "{". Use NDJSON (one object per line, .ndjson) or wrap the objects in [ … ] separated by commas'
                : `it starts with "${String.fromCharCode(c)}". Put the recipients in a top-level array: [{"phone": "4915…"}, …]`;
            throw this.error(`is not a JSON array: ${hint}`);
          }
          this.state = 'first';
          continue;
        case 'after':
          throw this.error(`has data after the closing "]" of the array, at line ${this.line}`);
        case 'separator':
          if (c === 0x2c) this.state = 'value';
          else if (c === 0x5d) this.state = 'after';
          else throw this.error(`is missing a "," between array elements at line ${this.line}`);
          continue;
        case 'first':
        case 'value':
          if (c === 0x5d) {
            if (this.state === 'value') throw this.error(`has a "," before "]" at line ${this.line} (trailing commas are not JSON)`);
            this.state = 'after';
            continue;
          }
          if (c === 0x2c || c === 0x7d) {
            throw this.error(`has an unexpected "${String.fromCharCode(c)}" at line ${this.line} where an array element should start`);
          }
          this.inElement = true;
          this.elementLine = this.line;
          start = i;
          if (c === 0x22) this.inString = true;
          else if (c === 0x7b || c === 0x5b) this.stack.push(c);
          else this.scalar = true;
      }
    }
    if (this.inElement) {
      this.parts.push(text.slice(start));
      this.partsLength += text.length - start;
      if (this.partsLength > MAX_RECORD_LENGTH) {
        throw this.error(
          `has an element starting at line ${this.elementLine} that is longer than ${MAX_RECORD_LENGTH} characters: a string or bracket is probably not closed`,
        );
      }
    }
  }

  /** Call at the end of input; throws if the array is incomplete. */
  end(out: JsonElement[]): void {
    if (this.inElement && this.scalar) this.finish('', 0, 0, out);
    if (this.inElement) {
      throw this.error(`ends inside the element starting at line ${this.elementLine}: the file is truncated or a string/bracket is not closed`);
    }
    if (this.state !== 'before' && this.state !== 'after') {
      throw this.error(`ends at line ${this.line} before the array is closed with "]": the file is truncated`);
    }
  }

  private finish(text: string, start: number, end: number, out: JsonElement[]): void {
    const tail = text.slice(start, end);
    const elementText = this.parts.length === 0 ? tail : this.parts.join('') + tail;
    out.push({ line: this.elementLine, text: elementText });
    this.parts = [];
    this.partsLength = 0;
    this.inElement = false;
    this.scalar = false;
    this.state = 'separator';
  }

  private error(problem: string): LitecastError {
    return fileError(`JSON recipient file ${problem}.`, { line: this.line, format: 'json' });
  }
}

async function* readJsonArray(input: AsyncIterable<Buffer | Uint8Array | string>, phoneField: string): AsyncGenerator<ReadItem> {
  const splitter = new JsonArraySplitter();
  const elements: JsonElement[] = [];
  const drain = function* (): Generator<ReadItem> {
    for (const element of elements.splice(0, elements.length)) {
      yield parseJsonRecord(element.text, element.line, phoneField, 'the element');
    }
  };
  for await (const text of decodeUtf8(input)) {
    let failure: unknown;
    try {
      splitter.push(text, elements);
    } catch (error) {
      failure = error;
    }
    yield* drain();
    if (failure !== undefined) throw failure;
  }
  let failure: unknown;
  try {
    splitter.end(elements);
  } catch (error) {
    failure = error;
  }
  yield* drain();
  if (failure !== undefined) throw failure;
}
