/**
 * The one catalogue of litecast's own errors. Every error a user can see has a stable code
 * (`LITECAST_ERR_*`), an HTTP status for the API and an exit code for the CLI, mapped here and
 * nowhere else. Messages say what was wrong and what to do.
 */

/** Catalogue entry: HTTP status for the API, exit code for the CLI. */
type CatalogueEntry = { readonly httpStatus: number; readonly exitCode: number };

export const ERROR_CATALOGUE = {
  LITECAST_ERR_CONFIG: { httpStatus: 500, exitCode: 78 },
  LITECAST_ERR_REDIS_UNREACHABLE: { httpStatus: 503, exitCode: 69 },
  LITECAST_ERR_INVALID_OPTION: { httpStatus: 400, exitCode: 64 },
  LITECAST_ERR_VALIDATION: { httpStatus: 400, exitCode: 65 },
  LITECAST_ERR_FILE_NOT_FOUND: { httpStatus: 400, exitCode: 66 },
  LITECAST_ERR_BAD_RECIPIENTS: { httpStatus: 422, exitCode: 65 },
  LITECAST_ERR_NO_RECIPIENTS: { httpStatus: 422, exitCode: 65 },
  LITECAST_ERR_UNKNOWN_CHANNEL: { httpStatus: 404, exitCode: 67 },
  LITECAST_ERR_UNKNOWN_CAMPAIGN: { httpStatus: 404, exitCode: 67 },
  LITECAST_ERR_CHANNEL_EXISTS: { httpStatus: 409, exitCode: 73 },
  LITECAST_ERR_CAMPAIGN_EXISTS: { httpStatus: 409, exitCode: 73 },
  LITECAST_ERR_INVALID_STATE: { httpStatus: 409, exitCode: 75 },
  LITECAST_ERR_UNAUTHORIZED: { httpStatus: 401, exitCode: 77 },
  LITECAST_ERR_PAYLOAD_TOO_LARGE: { httpStatus: 413, exitCode: 65 },
  LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, exitCode: 65 },
  LITECAST_ERR_NOT_FOUND: { httpStatus: 404, exitCode: 67 },
  LITECAST_ERR_WEBHOOK_REJECTED: { httpStatus: 401, exitCode: 77 },
  LITECAST_ERR_NOT_READY: { httpStatus: 503, exitCode: 69 },
  LITECAST_ERR_SECRET_KEY: { httpStatus: 500, exitCode: 78 },
  LITECAST_ERR_URI_TOO_LONG: { httpStatus: 414, exitCode: 65 },
  LITECAST_ERR_HEADERS_TOO_LARGE: { httpStatus: 431, exitCode: 65 },
  LITECAST_ERR_REQUEST_TIMEOUT: { httpStatus: 408, exitCode: 75 },
  LITECAST_ERR_IDEMPOTENCY_MISMATCH: { httpStatus: 422, exitCode: 65 },
  LITECAST_ERR_IDEMPOTENCY_IN_PROGRESS: { httpStatus: 409, exitCode: 75 },
  LITECAST_ERR_FORBIDDEN_BASE_URL: { httpStatus: 400, exitCode: 65 },
  LITECAST_ERR_UPSTREAM: { httpStatus: 502, exitCode: 69 },
  LITECAST_ERR_INTERNAL: { httpStatus: 500, exitCode: 70 },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error litecast raises on purpose: a stable code, a message that says what to do, optional details. */
export class LitecastError extends Error {
  override readonly name = 'LitecastError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].httpStatus;
  }

  get exitCode(): number {
    return ERROR_CATALOGUE[this.code].exitCode;
  }
}

/** True for a LitecastError, also across module copies (matched by name, as BullMQ does). */
export function isLitecastError(error: unknown): error is LitecastError {
  return (
    error instanceof LitecastError ||
    (error instanceof Error && error.name === 'LitecastError' && typeof (error as { code?: unknown }).code === 'string')
  );
}
