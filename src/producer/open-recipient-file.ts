/**
 * Opens a recipient file for streaming intake: checks it exists, picks the format from the
 * extension or the first bytes, and returns the row iterator.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { LitecastError } from '../shared/errors.ts';
import { detectRecipientFormat, readRecipients, type ReadItem, type ReadRecipientsOptions, type RecipientFormat } from './read-recipients.ts';

/** Opens `path` for reading; `options` go to the reader (phone column, the columns the template needs). */
export async function openRecipientFile(path: string, format?: RecipientFormat, options: ReadRecipientsOptions = {}): Promise<{ format: RecipientFormat; rows: AsyncGenerator<ReadItem> }> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(512);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new LitecastError('LITECAST_ERR_FILE_NOT_FOUND', `Cannot read recipient file "${path}": ${why}. Give the path to a CSV, NDJSON or JSON file.`, { path }, { cause: error });
  }
  const chosen = format ?? detectRecipientFormat(path, head);
  return { format: chosen, rows: readRecipients(createReadStream(path, { highWaterMark: 256 * 1024 }), chosen, options) };
}
