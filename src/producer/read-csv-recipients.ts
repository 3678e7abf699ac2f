/**
 * The CSV recipient reader: the header names the fields, one column holds the phone. The
 * delimiter (`,` `;` tab) is found from the header line; csv-parse does the quoting rules, and
 * each record becomes a recipient or a rejected row under the shared row rules.
 */
import { once } from 'node:events';
import { parse, type Parser } from 'csv-parse';
import { LitecastError } from '../shared/errors.ts';
import { toBuffers } from './decode-chunks.ts';
import { MAX_RECORD_LENGTH, RAW_PREVIEW_LENGTH, REPLACEMENT_CHAR, fileError, newFields, quoteList, quoteValue, reject, type ReadItem } from './recipient-row-rules.ts';

/** How many bytes the CSV reader looks at to find the header line and its delimiter. */
const SNIFF_LIMIT = 64 * 1024;

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
  /** Empty lines csv-parse skipped before the last record, as its running count reported. */
  private emptyLinesSkipped = 0;
  private header: string[] | undefined;
  private phoneIndex = -1;

  constructor(
    private readonly phoneField: string,
    private readonly delimiter: CsvDelimiter,
    private readonly requiredColumns: readonly string[],
  ) {}

  /** Line on which the record currently being parsed starts, given csv-parse's running count of empty lines. */
  currentLine(emptyLinesSkipped: number): number {
    return this.nextLine + emptyLinesSkipped - this.emptyLinesSkipped;
  }

  /** Converts one parsed record; returns undefined for the header and blank rows. */
  accept(record: string[], emptyLinesSkipped: number): ReadItem | undefined {
    this.nextLine += emptyLinesSkipped - this.emptyLinesSkipped;
    this.emptyLinesSkipped = emptyLinesSkipped;
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
    const columns = new Set(names.filter((name, i) => i !== this.phoneIndex && name !== ''));
    const unknown = this.requiredColumns.filter((name) => !columns.has(name));
    if (unknown.length > 0) {
      // A placeholder names a column, nothing else; refusing here beats rejecting every row.
      throw fileError(
        `The template's placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `{{${quoteValue(name).slice(1, -1)}}}`).join(', ')} ${unknown.length > 1 ? 'are not columns' : 'is not a column'} of the CSV header (line ${line}); columns found: ${columns.size > 0 ? quoteList([...columns]) : '(none)'}. Add the column or fix the placeholder in the components.`,
        { line, format: 'csv', field: 'template.components', placeholders: unknown },
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
          `column ${quoteValue(column)} contains bytes that are not valid UTF-8: save the file as UTF-8`,
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
      return reject(line, 'missing_phone', `the ${quoteValue(header[this.phoneIndex]!)} column is empty`, csvPreview(record, this.delimiter));
    }
    const fields = newFields();
    for (let i = 0; i < header.length; i++) {
      const name = header[i]!;
      // Unnamed columns (a trailing delimiter in the header, common in spreadsheet exports) carry no placeholder.
      if (i === this.phoneIndex || name === '') continue;
      fields[name] = record[i]!;
    }
    return { ok: true, recipient: { line, phone, fields } };
  }
}

/**
 * Reads a CSV file, one {@link ReadItem} per non-blank record after the header. Throws
 * `LITECAST_ERR_BAD_RECIPIENTS` for a header without the phone column, duplicate column names,
 * an unclosed quote or an oversized record, after yielding the records before it.
 */
export async function* readCsv(
  input: AsyncIterable<Buffer | Uint8Array | string>,
  phoneField: string,
  requiredColumns: readonly string[] = [],
): AsyncGenerator<ReadItem> {
  let parser: Parser | undefined;
  let rows: CsvRows | undefined;
  let head: Buffer[] = [];
  let headLength = 0;
  const out: ReadItem[] = [];

  const start = (delimiter: CsvDelimiter): Parser => {
    rows = new CsvRows(phoneField, delimiter, requiredColumns);
    const created = parse({
      bom: true,
      delimiter,
      // Explicit, so a file mixing CRLF and LF is read right (auto-discovery fixes the first kind seen).
      record_delimiter: ['\r\n', '\n', '\r'],
      // Column count is checked per row by us, so a short or long row becomes a rejected row.
      relax_column_count: true,
      // A stray quote inside an unquoted value (5" screen) is kept as text instead of failing the file.
      relax_quotes: true,
      // Empty lines are skipped by csv-parse, which reports how many with each record (info), so
      // line numbers stay exact. Passing them through cost a column-count error object per line
      // in csv-parse: a megabyte of blank lines took a minute. Whitespace-only lines still come
      // through as records, and CsvRows drops them.
      skip_empty_lines: true,
      info: true,
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
      const { record: fields, info } = record as { record: string[]; info: { empty_lines: number } };
      const item = rows!.accept(fields, info.empty_lines);
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
      return csvFileError(error, rows!.currentLine(active.info.empty_lines));
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
      throw csvFileError(error, rows!.currentLine(parser.info.empty_lines));
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
