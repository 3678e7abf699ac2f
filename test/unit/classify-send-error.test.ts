import { describe, expect, it } from 'vitest';
import { CODE_RULES, classifySendError, type VerdictClass } from '../../src/dialog360/classify-send-error.ts';
import { parseResponse } from '../../src/dialog360/parse-response.ts';

/**
 * whatsapp-api.md §4, written out independently of the implementation: code, HTTP status, class on
 * /marketing_messages, class on /messages.
 */
const TABLE: Array<[code: number, http: number, lite: VerdictClass, cloud: VerdictClass]> = [
  [1, 400, 'retry', 'retry'],
  [2, 503, 'retry', 'retry'],
  [131000, 500, 'retry', 'retry'],
  [131016, 503, 'retry', 'retry'],
  [133004, 503, 'retry', 'retry'],
  [131057, 500, 'throttle', 'throttle'],
  [4, 400, 'throttle', 'throttle'],
  [80007, 400, 'throttle', 'throttle'],
  [130429, 400, 'throttle', 'throttle'],
  [131056, 400, 'retry', 'retry'],
  [131048, 400, 'fatal', 'fatal'],
  [368, 403, 'fatal', 'fatal'],
  [131031, 403, 'fatal', 'fatal'],
  [130497, 403, 'recipient', 'recipient'],
  [0, 401, 'fatal', 'fatal'],
  [190, 401, 'fatal', 'fatal'],
  [3, 500, 'fatal', 'fatal'],
  [10, 403, 'fatal', 'fatal'],
  [200, 403, 'fatal', 'fatal'],
  [250, 403, 'fatal', 'fatal'],
  [299, 403, 'fatal', 'fatal'],
  [131005, 403, 'fatal', 'fatal'],
  [131042, 400, 'fatal', 'fatal'],
  [131045, 400, 'fatal', 'fatal'],
  [133010, 400, 'fatal', 'fatal'],
  [131037, 400, 'fatal', 'fatal'],
  [100, 400, 'fatal', 'fatal'],
  [131008, 400, 'fatal', 'fatal'],
  [131051, 400, 'fatal', 'fatal'],
  [131009, 400, 'fallback', 'fatal'],
  [131055, 400, 'fallback', 'fatal'],
  [134100, 400, 'fallback', 'fatal'],
  [134101, 400, 'fallback', 'fatal'],
  [134102, 400, 'fallback', 'fatal'],
  [134103, 400, 'fallback', 'fatal'],
  [131063, 400, 'fatal', 'fatal'],
  [131062, 400, 'recipient', 'recipient'],
  [131026, 400, 'recipient', 'recipient'],
  [131021, 400, 'recipient', 'recipient'],
  [131047, 400, 'recipient', 'recipient'],
  [131049, 400, 'recipient', 'recipient'],
  [131050, 400, 'recipient', 'recipient'],
  [130472, 400, 'recipient', 'recipient'],
  [132000, 400, 'fatal', 'fatal'],
  [132012, 400, 'fatal', 'fatal'],
  [132001, 404, 'fatal', 'fatal'],
  [132005, 400, 'recipient', 'recipient'],
  [132007, 400, 'recipient', 'recipient'],
  [132015, 400, 'fatal', 'fatal'],
  [132016, 400, 'fatal', 'fatal'],
  [131052, 400, 'fatal', 'fatal'],
  [131053, 400, 'fatal', 'fatal'],
  [135000, 400, 'recipient', 'recipient'],
];

function metaError(code: number, details = 'details', message = `(#${code}) Some title`) {
  return { message, type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp', details }, fbtrace_id: 'AbC123' };
}

const envelopes = {
  meta: (code: number, details?: string) => ({ error: metaError(code, details) }),
  'd360-wrapped': (code: number, details?: string) => ({ detail: { error: metaError(code, details) } }),
};

function classify(status: number, body: unknown, route: 'lite' | 'cloud', retryAfter?: string) {
  const response = parseResponse(status, typeof body === 'string' ? body : JSON.stringify(body), retryAfter);
  if (response.kind === 'accepted') throw new Error('expected a failure');
  return classifySendError(response, route);
}

describe('classifySendError: whatsapp-api.md §4 table', () => {
  const cases = TABLE.flatMap(([code, http, lite, cloud]) =>
    (Object.keys(envelopes) as Array<keyof typeof envelopes>).map((envelope) => ({ code, http, lite, cloud, envelope })),
  );

  it.each(cases)('code $code ($envelope, HTTP $http) → lite $lite, cloud $cloud', ({ code, http, lite, cloud, envelope }) => {
    const body = envelopes[envelope](code);
    const onLite = classify(http, body, 'lite');
    const onCloud = classify(http, body, 'cloud');
    expect(onLite.class).toBe(lite);
    expect(onLite.code).toBe(String(code));
    expect(onCloud.class).toBe(cloud);
  });

  it('covers every code the classifier knows', () => {
    const tested = new Set(TABLE.map(([code]) => code));
    const untested = [...CODE_RULES.keys()].filter((code) => !tested.has(code));
    expect(untested).toEqual([]);
  });

  it('keys on the code, not on the HTTP status: 130429 in a 200-less 400 is a throttle, 131026 in a 500 is a recipient error', () => {
    expect(classify(400, envelopes.meta(130429), 'lite')).toMatchObject({ class: 'throttle', waitMs: 1000 });
    expect(classify(500, envelopes.meta(131026), 'lite').class).toBe('recipient');
    expect(classify(429, envelopes.meta(131049), 'lite').class).toBe('recipient');
  });

  it('never decides on the message text', () => {
    const misleading = { error: metaError(131026, 'x', '(#130429) Rate limit hit — please retry later, temporary') };
    expect(classify(400, misleading, 'lite').class).toBe('recipient');
  });

  it('code 100 with details "Message must be a template message" falls back; other 100s are payload bugs', () => {
    expect(classify(400, envelopes['d360-wrapped'](100, 'Message must be a template message'), 'lite')).toMatchObject({ class: 'fallback', scope: 'message' });
    expect(classify(400, envelopes['d360-wrapped'](100, 'Message must be a template message'), 'cloud').class).toBe('fatal');
    expect(classify(400, envelopes['d360-wrapped'](100, 'Param template.name is required'), 'lite').class).toBe('fatal');
  });

  it('scopes fallbacks: 131055 the channel, 134100 the template, 131009 the message', () => {
    expect(classify(400, envelopes['d360-wrapped'](131055), 'lite').scope).toBe('channel');
    expect(classify(400, envelopes['d360-wrapped'](134100), 'lite').scope).toBe('template');
    expect(classify(400, envelopes['d360-wrapped'](131009), 'lite').scope).toBe('message');
  });

  it('gives waits from the table: maintenance 60 s, pair limit 1 s for this recipient only, paused template 3 h', () => {
    expect(classify(500, envelopes.meta(131057), 'lite').waitMs).toBe(60_000);
    expect(classify(400, envelopes.meta(131056), 'lite')).toMatchObject({ class: 'retry', scope: 'recipient', waitMs: 1_000 });
    expect(classify(400, envelopes.meta(132015), 'lite').waitMs).toBe(3 * 3600_000);
  });

  it('an unlisted code is retried when Meta marks it transient or the status is 5xx, and is fatal otherwise', () => {
    expect(classify(400, { error: { ...metaError(999_999), is_transient: true } }, 'lite').class).toBe('retry');
    expect(classify(503, envelopes.meta(999_998), 'lite').class).toBe('retry');
    expect(classify(400, envelopes.meta(999_997), 'lite')).toMatchObject({ class: 'fatal', code: '999997' });
  });
});

describe('classifySendError: 360dialog’s own answers', () => {
  it.each([
    [401, { error: 'Invalid api token.' }, 'fatal', 'D360_INVALID_API_KEY'],
    [401, {}, 'fatal', 'D360_INVALID_API_KEY'],
    [400, { error: 'WhatsApp for Business API has been disabled' }, 'fatal', 'D360_API_DISABLED'],
    [400, { error: 'Could not send message due to lack of payment' }, 'fatal', 'D360_PAYMENT'],
    [400, { error: 'You have exceeded the endpoint rate limit' }, 'throttle', 'D360_RATE_LIMIT'],
    [403, { error: 'Endpoint blocked' }, 'fatal', 'D360_FORBIDDEN'],
    [500, { error: 'Internal server error' }, 'retry', 'HTTP_500'],
    [502, '<html>Bad Gateway</html>', 'retry', 'HTTP_502'],
    [503, '', 'retry', 'HTTP_503'],
    [429, { error: 'Too many requests' }, 'throttle', 'HTTP_429'],
    [404, '<html>Not found</html>', 'fatal', 'HTTP_404'],
    [418, { error: 'something new' }, 'fatal', 'HTTP_418'],
  ] as const)('HTTP %i %j → %s %s', (status, body, cls, code) => {
    const verdict = classify(status, body, 'lite');
    expect(verdict.class).toBe(cls);
    expect(verdict.code).toBe(code);
  });

  it('a plain 400 whose text merely contains a known phrase is not matched (exact identifiers only)', () => {
    expect(classify(400, { error: 'Note: you have exceeded the endpoint rate limit yesterday' }, 'lite')).toMatchObject({ class: 'fatal', code: 'HTTP_400' });
  });

  it('honours Retry-After over the table wait', () => {
    expect(classify(429, { error: 'You have exceeded the endpoint rate limit' }, 'lite', '7')).toMatchObject({ class: 'throttle', waitMs: 7_000 });
    expect(classify(503, '', 'lite', '3')).toMatchObject({ class: 'retry', waitMs: 3_000 });
  });
});

describe('classifySendError: network and unreadable answers', () => {
  it('a timeout after the request was written is an ambiguous retry', () => {
    expect(classifySendError({ kind: 'network', reason: 'timeout', ambiguous: true, message: 't' }, 'lite')).toEqual({
      class: 'retry',
      code: 'TIMEOUT',
      reason: 'no answer within the timeout',
      ambiguous: true,
    });
  });

  it('a refused connection and a reset are plain retries', () => {
    expect(classifySendError({ kind: 'network', reason: 'connect', ambiguous: false, message: 'refused' }, 'cloud')).toMatchObject({ class: 'retry', code: 'CONNECT' });
    expect(classifySendError({ kind: 'network', reason: 'reset', ambiguous: false, message: 'reset' }, 'cloud')).not.toHaveProperty('ambiguous');
  });

  it('a 200 without a wamid may have been accepted: ambiguous retry', () => {
    expect(classify(200, '<html>oops</html>', 'lite')).toMatchObject({ class: 'retry', code: 'INVALID_BODY', ambiguous: true });
  });
});
