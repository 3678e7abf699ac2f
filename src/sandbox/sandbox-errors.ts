/**
 * The error catalogue and the three answer envelopes 360dialog uses. Titles and HTTP statuses
 * follow Meta's error-code table as reproduced by 360dialog (reference §4); litecast must key on
 * `code`, so the exact titles matter less than the codes and shapes.
 */

import { INVALID_API_TOKEN } from './fixtures/error-bodies.ts';

/** One catalogued Meta error. */
export interface CatalogueEntry {
  title: string;
  httpStatus: number;
  /** Default `error_data.details`. */
  details: string;
  transient: boolean;
}

const entry = (title: string, httpStatus: number, details: string, transient = false): CatalogueEntry => ({
  title,
  httpStatus,
  details,
  transient,
});

const CATALOGUE: ReadonlyMap<number, CatalogueEntry> = new Map([
  [1, entry('API Unknown', 400, 'Invalid request or possible server error.', true)],
  [2, entry('API Service', 503, 'Temporary due to downtime or due to being overloaded.', true)],
  [4, entry('API Too Many Calls', 400, 'The app has reached its API call rate limit.', true)],
  [100, entry('Invalid parameter', 400, 'The request included one or more unsupported or misspelled parameters.')],
  [190, entry('Access token has expired', 401, 'The access token has expired.')],
  [368, entry('Temporarily blocked for policies violations', 403, 'The WhatsApp Business Account is restricted.')],
  [80007, entry('Rate limit issues', 400, 'The WhatsApp Business Account has reached its rate limit.', true)],
  [130429, entry('Rate limit hit', 400, 'Cloud API message throughput has been reached.', true)],
  [130472, entry("User's number is part of an experiment", 400, "Failed to send message because this user's phone number is part of an experiment")],
  [130497, entry('Business account is restricted from messaging users in this country', 403, 'The business is restricted from messaging users in this country.')],
  [131000, entry('Something went wrong', 500, 'Message failed to send due to an unknown error.', true)],
  [131005, entry('Access denied', 403, 'Permission is either not granted or has been removed.')],
  [131008, entry('Required parameter is missing', 400, 'The request is missing a required parameter.')],
  [131009, entry('Parameter value is not valid', 400, 'One or more parameter values are invalid.')],
  [131016, entry('Service unavailable', 503, 'A service is temporarily unavailable.', true)],
  [131021, entry('Recipient cannot be sender', 400, 'Sender and recipient phone number is the same.')],
  [131026, entry('Message undeliverable', 400, 'Unable to deliver message.')],
  [131031, entry('Account has been locked', 403, 'The business account has been restricted or disabled.')],
  [131042, entry('Business eligibility payment issue', 400, 'There was an error related to your payment method.')],
  [131045, entry('Incorrect certificate', 400, 'Message failed to send due to a phone number registration error.')],
  [131047, entry('Re-engagement message', 400, 'More than 24 hours have passed since the recipient last replied to the sender number.')],
  [131048, entry('Spam rate limit hit', 400, 'Message failed to send because there are restrictions on how many messages can be sent from this phone number.')],
  [131049, entry('This message was not delivered to maintain healthy ecosystem engagement.', 400, 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.')],
  [131050, entry('Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business', 400, 'The recipient has stopped marketing messages from this business.')],
  [131051, entry('Unsupported message type', 400, 'Unsupported message type.')],
  [131055, entry('Method not allowed', 400, 'The method is not allowed for this endpoint.')],
  [131056, entry('(Business Account, Consumer Account) pair rate limit hit', 400, 'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.', true)],
  [131057, entry('Account in maintenance mode', 500, 'Business Account is in maintenance mode.', true)],
  [131063, entry('Marketing messages disabled on Cloud API', 400, 'Marketing template messages are disabled on Cloud API for this account.')],
  [132000, entry('Number of parameters does not match the expected number of params', 400, 'The number of variable parameter values does not match the template.')],
  [132001, entry('Template name does not exist in the translation', 404, 'The template does not exist in the specified language or has not been approved.')],
  [132005, entry('Translated text too long', 400, 'Translated text is too long.')],
  [132007, entry('Format character policy violated', 400, 'Template content violates a WhatsApp policy.')],
  [132012, entry('Parameter format does not match format in the created template', 400, 'Variable parameter values formatted incorrectly.')],
  [132015, entry('Template is Paused', 400, 'Template is paused due to low quality so it cannot be sent in a template message.')],
  [132016, entry('Template is Disabled', 400, 'Template has been paused too many times due to low quality and is now permanently disabled.')],
  [133004, entry('Server temporarily unavailable', 503, 'Server is temporarily unavailable.', true)],
  [133010, entry('Phone number not registered', 400, 'Phone number not registered on the WhatsApp Business Platform.')],
  [134100, entry('Template category not supported', 400, 'Marketing Messages Lite API only supports marketing templates.')],
  [134101, entry('Template is syncing', 400, 'The template is still being synced to Marketing Messages Lite API; try again later.')],
  [134102, entry('Template unavailable', 400, 'The template is not available for Marketing Messages Lite API.')],
  [134103, entry('Template not eligible', 400, 'The template is not eligible for Marketing Messages Lite API.')],
  [135000, entry('Generic user error', 400, 'Message failed to send because of an unknown error with your request parameters.')],
]);

/** Looks a code up in the catalogue; unknown codes get a generic entry so any code can be injected. */
export function describeError(code: number): CatalogueEntry {
  return CATALOGUE.get(code) ?? entry(`Error ${code}`, 400, `Sandbox-injected error ${code}.`);
}

/** Every catalogued code (for the catalogue consistency test). */
export function catalogueCodes(): number[] {
  return [...CATALOGUE.keys()];
}

/** The body shapes an error answer can take. */
export type ErrorEnvelope = 'meta' | 'wrapped' | 'plain';

/** What to put into one error answer; missing parts come from the catalogue. */
export interface ErrorSpec {
  code: number;
  details?: string;
  message?: string;
  subcode?: number;
}

/** Meta's Graph API error object (`GraphAPIError`). */
export interface MetaError {
  message: string;
  type: 'OAuthException';
  code: number;
  error_subcode?: number;
  error_data: { messaging_product: 'whatsapp'; details: string };
  fbtrace_id: string;
  is_transient: boolean;
}

/** Builds Meta's error object for `spec`; `fbtraceId` is passed in so ids stay reproducible. */
export function buildMetaError(spec: ErrorSpec, fbtraceId: string): MetaError {
  const known = describeError(spec.code);
  const error: MetaError = {
    message: spec.message ?? `(#${spec.code}) ${known.title}`,
    type: 'OAuthException',
    code: spec.code,
    error_data: { messaging_product: 'whatsapp', details: spec.details ?? known.details },
    fbtrace_id: fbtraceId,
    is_transient: known.transient,
  };
  if (spec.subcode !== undefined) error.error_subcode = spec.subcode;
  return error;
}

/**
 * Wraps an error object in an envelope: Meta's `{"error":{…}}`, 360dialog's MM Lite wrapper
 * `{"detail":{"error":{…}}}`, or 360dialog's own plain `{"error":"text"}`.
 */
export function buildErrorBody(envelope: ErrorEnvelope, error: MetaError): unknown {
  if (envelope === 'wrapped') return { detail: { error } };
  if (envelope === 'plain') return { error: error.message };
  return { error };
}

/** 360dialog's answer to a missing or unknown `D360-API-KEY` (HTTP 401); source in fixtures/error-bodies.ts. */
export const INVALID_API_TOKEN_BODY = Object.freeze(INVALID_API_TOKEN.body);
