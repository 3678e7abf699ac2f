/**
 * Turns what came back from 360dialog into one value: accepted (with the wamid), rejected (with the
 * error in whichever of the three envelopes it arrived), a network failure, or a body that is not
 * what the API sends.
 */

/** The envelope an error arrived in (whatsapp-api.md §3.2). */
export type ErrorEnvelope =
  /** Meta's `{"error":{...}}`. */
  | 'meta'
  /** 360dialog's `{"detail":{"error":{...}}}` around Meta's error. */
  | 'd360-wrapped'
  /** 360dialog's own `{"error":"Invalid api token."}`. */
  | 'd360-plain'
  /** A status without a recognisable error body (e.g. a 502 HTML page). */
  | 'none';

export type ApiError = {
  envelope: ErrorEnvelope;
  /** Meta's numeric error code, when the body has one. */
  code?: number;
  subcode?: number;
  /** `error_data.details`: the only free text Meta says may steer logic. */
  details?: string;
  /** The human message or 360dialog's plain error string; kept for reports, never used to decide. */
  message?: string;
  isTransient?: boolean;
  fbtraceId?: string;
};

/** Who Meta says the message went to (`contacts[0]`): the number sent, its wa_id, or a BSUID `user_id`. */
export type SendContact = { input?: string; waId?: string; userId?: string };

export type SendResponse =
  | {
      kind: 'accepted';
      status: number;
      wamid: string;
      /**
       * `messages[].message_status`: `accepted`, or `held_for_quality_assessment` / `paused` when Meta
       * holds the template's sends (template pacing): accepted by the API but not sent yet.
       */
      messageStatus?: string;
      /** Identities of the recipient, when the answer lists them (wa_id may differ from the input). */
      contact?: SendContact;
    }
  | { kind: 'rejected'; status: number; error: ApiError; retryAfterMs?: number }
  | {
      kind: 'network';
      /** `timeout`: no answer in time; `connect`: never connected; `reset`: the connection broke. */
      reason: 'timeout' | 'connect' | 'reset';
      /** True when the request was fully sent, so 360dialog may have accepted it. */
      ambiguous: boolean;
      errorCode?: string;
      message: string;
    }
  | { kind: 'invalid-body'; status: number; bodySnippet: string };

const SNIPPET = 200;

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function readMetaError(error: Record<string, unknown>, envelope: ErrorEnvelope): ApiError {
  const errorData = asRecord(error.error_data);
  const parsed: ApiError = { envelope };
  const code = readNumber(error.code);
  if (code !== undefined) parsed.code = code;
  const subcode = readNumber(error.error_subcode);
  if (subcode !== undefined) parsed.subcode = subcode;
  if (typeof errorData?.details === 'string') parsed.details = errorData.details;
  if (typeof error.message === 'string') parsed.message = error.message;
  else if (typeof error.title === 'string') parsed.message = error.title;
  if (typeof error.is_transient === 'boolean') parsed.isTransient = error.is_transient;
  if (typeof error.fbtrace_id === 'string') parsed.fbtraceId = error.fbtrace_id;
  return parsed;
}

/** Finds the error in any of the three envelopes; `{ envelope: 'none' }` when there is none. */
export function parseErrorBody(body: unknown): ApiError {
  const root = asRecord(body);
  if (!root) return { envelope: 'none' };
  const wrapped = asRecord(asRecord(root.detail)?.error);
  if (wrapped) return readMetaError(wrapped, 'd360-wrapped');
  const meta = asRecord(root.error);
  if (meta) return readMetaError(meta, 'meta');
  if (typeof root.error === 'string') return { envelope: 'd360-plain', message: root.error };
  // 360dialog has also been seen answering `{"detail": "..."}` (FastAPI style) and `{"message": "..."}`.
  if (typeof root.detail === 'string') return { envelope: 'd360-plain', message: root.detail };
  if (typeof root.message === 'string') return { envelope: 'd360-plain', message: root.message };
  return { envelope: 'none' };
}

function readContact(contacts: unknown): SendContact | undefined {
  const first = Array.isArray(contacts) ? asRecord(contacts[0]) : undefined;
  if (!first) return undefined;
  const contact: SendContact = {};
  if (typeof first.input === 'string' && first.input !== '') contact.input = first.input;
  if (typeof first.wa_id === 'string' && first.wa_id !== '') contact.waId = first.wa_id;
  if (typeof first.user_id === 'string' && first.user_id !== '') contact.userId = first.user_id;
  return Object.keys(contact).length > 0 ? contact : undefined;
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Parses one HTTP answer from either endpoint. */
export function parseResponse(status: number, bodyText: string, retryAfterHeader?: string): SendResponse {
  let body: unknown;
  try {
    body = bodyText === '' ? undefined : JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  if (status >= 200 && status < 300) {
    const messages = asRecord(body)?.messages;
    const first = Array.isArray(messages) ? asRecord(messages[0]) : undefined;
    if (first && typeof first.id === 'string' && first.id !== '') {
      const accepted: SendResponse = { kind: 'accepted', status, wamid: first.id };
      if (typeof first.message_status === 'string') accepted.messageStatus = first.message_status;
      const contact = readContact(asRecord(body)?.contacts);
      if (contact) accepted.contact = contact;
      return accepted;
    }
    return { kind: 'invalid-body', status, bodySnippet: bodyText.slice(0, SNIPPET) };
  }
  const error = parseErrorBody(body);
  if (error.envelope === 'none' && bodyText !== '') error.message = bodyText.slice(0, SNIPPET);
  const rejected: SendResponse = { kind: 'rejected', status, error };
  const retryAfterMs = parseRetryAfter(retryAfterHeader);
  if (retryAfterMs !== undefined) rejected.retryAfterMs = retryAfterMs;
  return rejected;
}
