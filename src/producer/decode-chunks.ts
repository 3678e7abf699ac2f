/** Turning a recipient file's chunks into text or buffers, whatever form they arrive in. */

/** Decodes chunks as UTF-8 across chunk boundaries; invalid bytes become U+FFFD (rejected later, per row). */
export async function* decodeUtf8(input: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<string> {
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

/** Chunks as Buffers (strings are encoded as UTF-8). */
export async function* toBuffers(input: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else if (Buffer.isBuffer(chunk)) yield chunk;
    else yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}
