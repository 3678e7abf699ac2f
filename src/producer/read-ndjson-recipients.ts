/** The NDJSON recipient reader: one JSON object per line; blank lines are skipped. */
import type { LitecastError } from '../shared/errors.ts';
import { decodeUtf8 } from './decode-chunks.ts';
import { parseJsonRecord } from './json-recipient-rules.ts';
import { MAX_RECORD_LENGTH, fileError, type ReadItem } from './recipient-row-rules.ts';

/** Reads NDJSON, one {@link ReadItem} per non-blank line; a line over 1 MiB stops the file. */
export async function* readNdjson(input: AsyncIterable<Buffer | Uint8Array | string>, phoneField: string): AsyncGenerator<ReadItem> {
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
