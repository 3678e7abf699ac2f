/**
 * The one place that decides what a failed send means (design.md invariant 5). A pure function of
 * the parsed answer and the route, following the table in whatsapp-api.md §4. It keys on Meta's
 * `code` and `error_data.details`, on the HTTP status when there is no code, and for 360dialog's own
 * plain errors on an exact lookup of their documented strings (they carry no code); never on a
 * substring of free text.
 */
import type { Route } from '../shared/outbound-message.ts';
import type { SendResponse } from './parse-response.ts';

/**
 * - `retry`: transient; try the same request again after a backoff.
 * - `throttle`: the channel is over a rate; every worker slows the whole channel down.
 * - `fallback`: MM Lite refused the message for eligibility; re-send it via `/messages`.
 * - `recipient`: permanent for this recipient; record a failed outcome.
 * - `fatal`: stop the campaign (bad key, account restricted, template paused or disabled, payload bug).
 */
export type VerdictClass = 'retry' | 'throttle' | 'fallback' | 'recipient' | 'fatal';

export type Verdict = {
  class: VerdictClass;
  /** Meta's numeric code as a string (`"131009"`), or one of ours: `D360_*`, `HTTP_<status>`, `TIMEOUT`, `CONNECT`, `NETWORK_RESET`, `INVALID_BODY`. */
  code: string;
  /** What the code means (from the table), for reports and pause reasons. */
  reason: string;
  /** How long to wait before trying again, when the API or the table says so. */
  waitMs?: number;
  /**
   * What the verdict applies to: for `fallback`, whether MM Lite refused this message, this
   * template, or the whole channel (remembered, so later messages skip the doomed lite call);
   * for `retry`, `recipient` means only this recipient must wait (the pair rate limit), `channel`
   * that the whole channel is unreachable and backs off.
   */
  scope?: 'message' | 'recipient' | 'template' | 'channel';
  /** The request was fully sent and no answer came: 360dialog may have accepted it. */
  ambiguous?: boolean;
  /** `waitMs` came from the API's `Retry-After` (a wait it asked for, not the table's guess). */
  retryAfter?: boolean;
};

type Rule = Omit<Verdict, 'code'> & {
  /** Class on `/messages`, where there is nothing left to fall back to. */
  onCloud?: VerdictClass;
};

const MINUTE = 60_000;

const retry = (reason: string, extra: Partial<Rule> = {}): Rule => ({ class: 'retry', reason, ...extra });
const throttle = (reason: string, waitMs: number): Rule => ({ class: 'throttle', reason, waitMs });
const fallback = (reason: string, scope: Verdict['scope']): Rule => ({ class: 'fallback', reason, scope, onCloud: 'fatal' });
const recipient = (reason: string): Rule => ({ class: 'recipient', reason });
const fatal = (reason: string, extra: Partial<Rule> = {}): Rule => ({ class: 'fatal', reason, ...extra });

/** whatsapp-api.md §4, one entry per Meta code. */
export const CODE_RULES: ReadonlyMap<number, Rule> = new Map<number, Rule>([
  // (a) transient
  [1, retry('API unknown error, possibly a server error')],
  [2, retry('API service temporarily unavailable')],
  [131000, retry('unknown send error')],
  [131016, retry('service temporarily unavailable')],
  [133004, retry('server temporarily unavailable')],
  // Maintenance (e.g. the throughput upgrade) stops the whole number for about a minute.
  [131057, throttle('account in maintenance', MINUTE)],
  [4, throttle('app call rate limit reached', 5 * MINUTE)],
  [80007, throttle('WABA rate limit reached', 5 * MINUTE)],
  [130429, throttle('per-number throughput exceeded', 1_000)],
  // The pair limit concerns only this recipient; Meta suggests waiting 4^n seconds.
  [131056, retry('pair rate limit: too many messages to this recipient', { waitMs: 1_000, scope: 'recipient' })],
  // (b) MM Lite refused for eligibility
  [131009, fallback('MM Lite: parameter invalid or template not yet synced', 'message')],
  // 131055 has two meanings (whatsapp-api.md §9); DETAIL_RULES and MESSAGE_RULES tell them apart.
  // Unrecognised, it keeps the channel-wide reading: the documented terms body has no details.
  [131055, fallback('MM Lite: MM Lite terms not accepted for this number', 'channel')],
  [134100, fallback('MM Lite: only marketing templates are allowed', 'template')],
  [134101, fallback('MM Lite: template still syncing', 'template')],
  [134102, fallback('MM Lite: template not available for MM Lite', 'template')],
  [134103, fallback('MM Lite: template not eligible for MM Lite', 'template')],
  // (c) permanent for the recipient
  [130497, recipient('business may not message users in this country')],
  [131062, recipient('recipient identifier (BSUID) not supported for this template')],
  [131026, recipient('message undeliverable to this number')],
  [131021, recipient('recipient is the sender')],
  [131047, recipient('more than 24 hours since the user last replied')],
  [131049, recipient('withheld by Meta: per-user marketing limit')],
  [131050, recipient('user stopped marketing messages from this business')],
  [130472, recipient("user is in Meta's marketing experiment")],
  [132005, recipient('hydrated text too long')],
  [132007, recipient('format character policy violated')],
  [135000, recipient('generic user error')],
  // (d) fatal for the channel or campaign
  [131048, fatal('spam rate limit: number quality too low')],
  [368, fatal('WABA restricted for policy violation')],
  [131031, fatal('account locked or restricted')],
  [0, fatal('Meta access token invalid')],
  [190, fatal('Meta access token expired')],
  [3, fatal('capability or permission missing')],
  [10, fatal('permission denied')],
  [131005, fatal('access denied')],
  [131042, fatal('business eligibility payment issue')],
  [131045, fatal('number registration or certificate problem')],
  [133010, fatal('number not registered')],
  [131037, fatal('display name not approved')],
  [100, fatal('invalid or missing parameter')],
  [131008, fatal('required parameter missing')],
  [131051, fatal('unsupported message type')],
  [131063, fatal('marketing templates disabled on the Cloud API or MM Lite onboarding unfinished')],
  [132000, fatal('template parameter count mismatch')],
  [132012, fatal('template parameter format mismatch')],
  [132001, fatal('template does not exist in this language or is not approved')],
  // Meta pauses a low-quality template for 3 h, then 6 h, then disables it.
  [132015, fatal('template paused for low quality', { waitMs: 3 * 60 * MINUTE })],
  [132016, fatal('template disabled')],
  [131052, fatal('media download error')],
  [131053, fatal('media upload error')],
]);

/** `error_data.details` values that change the meaning of a code. */
const DETAIL_RULES: ReadonlyMap<string, Rule> = new Map([
  ['100|message must be a template message', fallback('MM Lite: message must be a template message', 'message')],
  // A utility/authentication template on MM: only this template goes via /messages, the number stays on MM.
  ['131055|only marketing template messages are supported', fallback('MM Lite: only marketing templates are allowed (not a marketing template)', 'template')],
]);

/**
 * Documented `message` texts that change a code's meaning where there are no details: 360dialog's
 * two 131055 bodies [D-MMerr] and Meta's code 200 refusal in its MM OpenAPI examples (HTTP 403).
 * Exact lookups of whole texts, as listed there.
 */
const MESSAGE_RULES: ReadonlyMap<string, Rule> = new Map([
  ['131055|(#131055) method not allowed', fallback('MM Lite: only marketing templates are allowed (method not allowed)', 'template')],
  ['131055|(#200) you must accept the marketing messages lite api terms to use the api', fallback('MM Lite: MM Lite terms not accepted for this number', 'channel')],
  ['200|template not approved for marketing use', fallback('MM Lite: template not approved for marketing use', 'template')],
]);

/** 360dialog's own errors carry no code; these documented strings are their identifiers (exact match). */
const D360_PLAIN_RULES: ReadonlyMap<string, Rule & { code: string }> = new Map([
  ['invalid api token', { code: 'D360_INVALID_API_KEY', ...fatal('360dialog API key (D360-API-KEY) invalid or missing') }],
  ['whatsapp for business api has been disabled', { code: 'D360_API_DISABLED', ...fatal('channel disabled at 360dialog') }],
  ['could not send message due to lack of payment', { code: 'D360_PAYMENT', ...fatal('360dialog invoices overdue') }],
  ['you have exceeded the endpoint rate limit', { code: 'D360_RATE_LIMIT', ...throttle('360dialog endpoint rate limit', 2_000) }],
]);

function normalizeIdentifier(text: string): string {
  return text.trim().toLowerCase().replace(/[.!]+$/, '');
}

function finish(code: string, rule: Rule, route: Route, retryAfterMs?: number): Verdict {
  const verdict: Verdict = { class: route === 'cloud' && rule.onCloud ? rule.onCloud : rule.class, code, reason: rule.reason };
  const waitMs = retryAfterMs ?? rule.waitMs;
  if (waitMs !== undefined) verdict.waitMs = waitMs;
  if (retryAfterMs !== undefined && retryAfterMs > 0) verdict.retryAfter = true;
  if (rule.scope !== undefined && verdict.class === rule.class) verdict.scope = rule.scope;
  if (rule.ambiguous) verdict.ambiguous = true;
  return verdict;
}

function classifyStatus(status: number, route: Route, retryAfterMs?: number): Verdict {
  const code = `HTTP_${status}`;
  if (status === 401) return finish('D360_INVALID_API_KEY', fatal('360dialog API key (D360-API-KEY) invalid or missing'), route);
  if (status === 403) return finish('D360_FORBIDDEN', fatal('endpoint blocked for this channel'), route);
  if (status === 429) return finish(code, throttle('too many requests', 1_000), route, retryAfterMs);
  if (status >= 500) return finish(code, retry('360dialog or WhatsApp API unavailable'), route, retryAfterMs);
  // An unknown 4xx is most likely a configuration problem (wrong base URL, bad payload): pausing
  // costs a resume, guessing "recipient" could burn the whole list.
  return finish(code, fatal(`unexpected HTTP ${status} from 360dialog`), route);
}

/** Maps every non-accepted answer of a send to a verdict. Pure: same input, same verdict. */
export function classifySendError(response: Exclude<SendResponse, { kind: 'accepted' }>, route: Route): Verdict {
  switch (response.kind) {
    case 'network': {
      const code = response.reason === 'timeout' ? 'TIMEOUT' : response.reason === 'connect' ? 'CONNECT' : 'NETWORK_RESET';
      const reason =
        response.reason === 'timeout' ? 'no answer within the timeout' : response.reason === 'connect' ? 'could not connect to 360dialog' : 'connection reset';
      // A refused connection means 360dialog is unreachable for the whole channel, not for this
      // message: every worker backs off the channel (and the message keeps its attempts).
      const extra: Partial<Rule> = response.ambiguous ? { ambiguous: true } : response.reason === 'connect' ? { scope: 'channel' } : {};
      return finish(code, retry(reason, extra), route);
    }
    case 'invalid-body':
      // A 2xx we cannot read may still have been an acceptance.
      if (response.status < 300) return finish('INVALID_BODY', retry('unreadable success answer', { ambiguous: true }), route);
      return classifyStatus(response.status, route);
    case 'rejected': {
      const { error, status, retryAfterMs } = response;
      if (error.code !== undefined) {
        const detailRule = error.details ? DETAIL_RULES.get(`${error.code}|${normalizeIdentifier(error.details)}`) : undefined;
        const messageRule = error.message ? MESSAGE_RULES.get(`${error.code}|${normalizeIdentifier(error.message)}`) : undefined;
        const rule =
          detailRule ?? messageRule ?? CODE_RULES.get(error.code) ?? (error.code >= 200 && error.code <= 299 ? fatal('permission missing') : undefined);
        if (rule) return finish(String(error.code), rule, route, retryAfterMs);
        if (error.isTransient || status >= 500) return finish(String(error.code), retry('transient error (unlisted code)'), route, retryAfterMs);
        return finish(String(error.code), fatal('unlisted error code'), route);
      }
      // 360dialog's own errors have no code; its rate limit also arrives as `{"error":{"message":…}}`.
      if (error.message) {
        const rule = D360_PLAIN_RULES.get(normalizeIdentifier(error.message));
        if (rule) return finish(rule.code, rule, route, retryAfterMs);
      }
      return classifyStatus(status, route, retryAfterMs);
    }
  }
}
