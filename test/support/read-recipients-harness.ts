/**
 * Shared harness for the recipient reader tests (one file per format): fixture files read
 * through fs streams, chunking at every byte offset, and the expected shapes.
 */
import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { readRecipients, type ReadItem, type RecipientFormat } from '../../src/producer/read-recipients.ts';
import { isLitecastError } from '../../src/shared/errors.ts';

let dir: string;

/** Call at the top of a test file: a temp dir for {@link fixture} files, removed afterwards. */
export function useFixtureDir(): void {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'litecast-read-recipients-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
}

let fileCounter = 0;

/** Writes `content` to a fresh file in the temp dir and returns its path. */
export async function fixture(content: string | Buffer, extension: string): Promise<string> {
  const file = path.join(dir, `fixture-${++fileCounter}.${extension}`);
  await writeFile(file, content);
  return file;
}

export async function collect(items: AsyncIterable<ReadItem>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Reads a real file through fs.createReadStream, as the CLI does. */
export async function readFile(content: string | Buffer, format: RecipientFormat, phoneField?: string): Promise<ReadItem[]> {
  const file = await fixture(content, format);
  return collect(readRecipients(fs.createReadStream(file), format, phoneField === undefined ? {} : { phoneField }));
}

/** Yields `bytes` cut at the given byte offsets. */
export async function* cutAt(bytes: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let from = 0;
  for (const cut of cuts) {
    yield bytes.subarray(from, cut);
    from = cut;
  }
  yield bytes.subarray(from);
}

/** Yields `bytes` in chunks of `size` bytes. */
export async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Reads everything and returns the items plus the error, if the file failed. */
export async function settle(items: AsyncIterable<ReadItem>): Promise<{ items: ReadItem[]; error: unknown }> {
  const out: ReadItem[] = [];
  try {
    for await (const item of items) out.push(item);
  } catch (error) {
    return { items: out, error };
  }
  return { items: out, error: undefined };
}

/**
 * Reads `content` whole, then cut in two at every byte offset and in 1-byte chunks, and checks
 * every way gives the same items and the same error: the chunk-boundary proof.
 */
export async function expectSameAtEveryCut(content: Buffer, format: RecipientFormat): Promise<{ items: ReadItem[]; error: unknown }> {
  const whole = await settle(readRecipients(cutAt(content, []), format));
  const describeError = (error: unknown): string | undefined => (error === undefined ? undefined : (error as Error).message);
  for (let cut = 1; cut < content.length; cut++) {
    const split = await settle(readRecipients(cutAt(content, [cut]), format));
    expect({ cut, items: split.items, error: describeError(split.error) }).toEqual({ cut, items: whole.items, error: describeError(whole.error) });
  }
  for (const size of [1, 2, 3, 7]) {
    const small = await settle(readRecipients(chunksOf(content, size), format));
    expect({ size, items: small.items, error: describeError(small.error) }).toEqual({ size, items: whole.items, error: describeError(whole.error) });
  }
  return whole;
}

export function accepted(line: number, phone: string, fields: Record<string, string>): ReadItem {
  return { ok: true, recipient: { line, phone, fields } };
}

export async function expectFileError(items: AsyncIterable<ReadItem>, pattern: RegExp): Promise<{ items: ReadItem[]; error: Error }> {
  const result = await settle(items);
  expect(result.error).toBeInstanceOf(Error);
  const error = result.error as Error;
  expect(error.message).toMatch(pattern);
  expect(isLitecastError(error)).toBe(true);
  expect((error as { code?: string }).code).toBe('LITECAST_ERR_BAD_RECIPIENTS');
  return { items: result.items, error };
}
