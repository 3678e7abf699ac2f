/**
 * The guard between an upload's socket and the recipient reader: a size limit, an idle timeout,
 * and errors that reach the reader. (`readable.pipe()` does not forward errors: a client that
 * closed the connection mid-file left the reader waiting for ever and the campaign half-made.)
 */
import { Transform, type Readable } from 'node:stream';
import { LitecastError } from '../shared/errors.ts';

export type UploadGuard = { limitBytes: number; idleTimeoutMs: number };

/** `source` as a stream that fails on a too-large upload, a stall, or a dropped connection. */
export function guardUpload(source: Readable, guard: UploadGuard): Readable {
  let seen = 0;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      arm();
      seen += chunk.length;
      if (seen > guard.limitBytes) done(new LitecastError('LITECAST_ERR_PAYLOAD_TOO_LARGE', `The upload is larger than ${guard.limitBytes} bytes; split the recipients into several campaigns.`));
      else done(null, chunk);
    },
    flush(done) {
      clearTimeout(timer);
      done();
    },
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      limit.destroy(new LitecastError('LITECAST_ERR_REQUEST_TIMEOUT', `The upload sent nothing for ${guard.idleTimeoutMs} ms, so it was abandoned and nothing was kept; send the file again (LITECAST_INTAKE_IDLE_TIMEOUT_MS sets the limit).`));
    }, guard.idleTimeoutMs);
    timer.unref();
  };
  arm();
  const cutOff = (cause?: unknown) => {
    clearTimeout(timer);
    if (!limit.destroyed) limit.destroy(new LitecastError('LITECAST_ERR_VALIDATION', 'The upload was cut off before its end (the connection closed); nothing was kept, send the file again.', undefined, { cause }));
  };
  source.on('error', cutOff);
  source.on('close', () => {
    if (!source.readableEnded) cutOff();
  });
  limit.on('close', () => clearTimeout(timer));
  return source.pipe(limit);
}
