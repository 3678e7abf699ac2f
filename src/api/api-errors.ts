/**
 * How the API answers errors: every answer, fastify's own and the HTTP server's included, is
 * `{"error": {"code": "LITECAST_ERR_*", "message": …}}` with a status from the one catalogue
 * (src/shared/errors.ts) and a message that says what to do.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError } from 'fastify';
import { ERROR_CATALOGUE, LitecastError, type ErrorCode } from '../shared/errors.ts';

/** The JSON body of every error answer. */
export function errorBody(code: ErrorCode | string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

/** Errors ioredis raises when a command cannot reach Redis (no offline queue in the API). */
const REDIS_DOWN = /Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED|ETIMEDOUT|MaxRetriesPerRequest|Reached the max retries/i;

/** True when `error` says Redis could not be reached (rather than a bug). */
export function isRedisDownError(error: unknown): boolean {
  return error instanceof Error && REDIS_DOWN.test(error.message) && !(error as { code?: string }).code?.startsWith('FST_');
}

/** Redis unreachable, as the API says it: nothing was done, try again. */
export function redisDownError(cause?: unknown): LitecastError {
  return new LitecastError('LITECAST_ERR_REDIS_UNREACHABLE', 'Redis is not reachable, so nothing was done; try again in a moment (an Idempotency-Key makes the retry safe).', undefined, { cause });
}

/** Fastify's own errors, mapped to our catalogue. */
export function fromFastifyError(error: FastifyError): LitecastError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new LitecastError('LITECAST_ERR_PAYLOAD_TOO_LARGE', `The request body is larger than the limit; send fewer recipients per request or upload them as CSV/NDJSON.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new LitecastError('LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE', `Unsupported content type; use application/json, text/csv or application/x-ndjson.`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new LitecastError('LITECAST_ERR_VALIDATION', 'The body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new LitecastError('LITECAST_ERR_VALIDATION', 'The Content-Length header does not match the body; send the body exactly as long as Content-Length says (or leave the header to your HTTP client).');
    case 'FST_ERR_BAD_URL':
      return new LitecastError('LITECAST_ERR_VALIDATION', 'The URL is not valid (a broken %-escape?); percent-encode the path correctly.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new LitecastError('LITECAST_ERR_URI_TOO_LONG', 'A path segment of the URL is too long; ids are at most 64 characters.');
    case 'FST_ERR_CTP_INVALID_CONTENT_ENCODING':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new LitecastError('LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE', 'Compressed or encoded bodies are not accepted; send the body uncompressed without a Content-Encoding header.');
    default:
      if (error instanceof SyntaxError && /prototype/.test(error.message)) {
        return new LitecastError('LITECAST_ERR_VALIDATION', 'The body has a "__proto__" or "constructor.prototype" key, which is refused; remove that key.');
      }
      if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new LitecastError('LITECAST_ERR_VALIDATION', `The body is not valid JSON (${error.message}); send a JSON object.`);
      if (isRedisDownError(error)) return redisDownError(error);
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return new LitecastError('LITECAST_ERR_VALIDATION', `${error.message}; see GET /docs for this route.`);
      return new LitecastError('LITECAST_ERR_INTERNAL', 'Internal error; see the API log.');
  }
}

/**
 * Errors the HTTP server raises before fastify sees a request (headers too large, a request that
 * does not parse, a timeout): answered in the same format, then the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const known =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new LitecastError('LITECAST_ERR_HEADERS_TOO_LARGE', 'The request headers (or the URL) are too large; shorten the URL or the headers (16 KiB in all).')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new LitecastError('LITECAST_ERR_REQUEST_TIMEOUT', 'The request took too long to arrive; send it again.')
        : new LitecastError('LITECAST_ERR_VALIDATION', 'The request is not valid HTTP/1.1; check the request line and headers.');
  const status = ERROR_CATALOGUE[known.code].httpStatus;
  const body = JSON.stringify(errorBody(known.code, known.message));
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
