/**
 * Input pacing for the recipient readers: large chunks are cut into small ones and the reader
 * gives the event loop a turn regularly. Without it, a chunk that yields no row (a megabyte of
 * blank lines) was parsed in one go and an API serving the upload stopped answering meanwhile.
 */

/** Largest piece handed to a parser at once (bytes or characters). */
const PIECE_LENGTH = 16 * 1024;

/** Longest stretch of parsing before the event loop gets a turn. */
const TURN_MS = 10;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Cuts a string at `end`, or just before it when that would split a surrogate pair. */
function safeEnd(text: string, end: number): number {
  if (end >= text.length) return text.length;
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}

/**
 * Yields the input in pieces of at most 16 KiB, waiting for the next event-loop turn whenever
 * 10 ms have passed since the last one (the consumer's parsing counts, as it runs between pieces).
 */
export async function* paceChunks(input: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer | Uint8Array | string> {
  let turnStarted = Date.now();
  for await (const chunk of input) {
    for (let start = 0; start < chunk.length; ) {
      const end = typeof chunk === 'string' ? safeEnd(chunk, start + PIECE_LENGTH) : Math.min(chunk.length, start + PIECE_LENGTH);
      yield start === 0 && end === chunk.length ? chunk : chunk.slice(start, end);
      start = end;
      if (Date.now() - turnStarted >= TURN_MS) {
        await nextTurn();
        turnStarted = Date.now();
      }
    }
  }
}
