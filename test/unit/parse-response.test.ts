import { describe, expect, it } from 'vitest';
import { parseErrorBody, parseResponse, parseRetryAfter } from '../../src/dialog360/parse-response.ts';

describe('parseResponse', () => {
  it('reads the wamid and message_status of a success', () => {
    const body = {
      messaging_product: 'whatsapp',
      contacts: [{ input: '441234567890', wa_id: '441234567890' }],
      messages: [{ id: 'wamid.HBgLNDQxMjM0NTY3ODkwFQIAERgSQzE', message_status: 'accepted' }],
      success: true,
    };
    expect(parseResponse(200, JSON.stringify(body))).toEqual({
      kind: 'accepted',
      status: 200,
      wamid: 'wamid.HBgLNDQxMjM0NTY3ODkwFQIAERgSQzE',
      messageStatus: 'accepted',
      contact: { input: '441234567890', waId: '441234567890' },
    });
  });

  it('keeps every identity of the recipient: a wa_id that differs from the input, or a BSUID user_id', () => {
    const mexico = { contacts: [{ input: '525512345678', wa_id: '5215512345678' }], messages: [{ id: 'wamid.M' }] };
    expect(parseResponse(200, JSON.stringify(mexico))).toMatchObject({ contact: { input: '525512345678', waId: '5215512345678' } });
    const bsuid = { contacts: [{ input: '441234567890', user_id: 'US.123' }], messages: [{ id: 'wamid.B' }] };
    expect(parseResponse(200, JSON.stringify(bsuid))).toMatchObject({ contact: { input: '441234567890', userId: 'US.123' } });
  });

  it('a success without message_status still yields the wamid', () => {
    expect(parseResponse(200, '{"messages":[{"id":"wamid.X"}]}')).toEqual({ kind: 'accepted', status: 200, wamid: 'wamid.X' });
  });

  it('a 200 that is not JSON, or has no messages[0].id, is an invalid body', () => {
    expect(parseResponse(200, '<html>Bad Gateway</html>')).toEqual({ kind: 'invalid-body', status: 200, bodySnippet: '<html>Bad Gateway</html>' });
    expect(parseResponse(200, '{"messages":[]}').kind).toBe('invalid-body');
  });

  it("reads Meta's envelope with code, subcode, details and trace id", () => {
    const body = {
      error: {
        message: '(#131009) Parameter value is not valid',
        type: 'OAuthException',
        code: 131009,
        error_subcode: 2494010,
        error_data: { messaging_product: 'whatsapp', details: 'Template not synced' },
        fbtrace_id: 'Az8or',
        is_transient: false,
      },
    };
    expect(parseResponse(400, JSON.stringify(body))).toEqual({
      kind: 'rejected',
      status: 400,
      error: {
        envelope: 'meta',
        code: 131009,
        subcode: 2494010,
        details: 'Template not synced',
        message: '(#131009) Parameter value is not valid',
        isTransient: false,
        fbtraceId: 'Az8or',
      },
    });
  });

  it("reads 360dialog's wrapped envelope", () => {
    const body = { detail: { error: { message: '(#131055) Method not allowed', type: 'OAuthException', code: 131055, error_data: { messaging_product: 'whatsapp', details: 'Method not allowed' } } } };
    expect(parseResponse(400, JSON.stringify(body))).toMatchObject({ kind: 'rejected', error: { envelope: 'd360-wrapped', code: 131055, details: 'Method not allowed' } });
  });

  it("reads 360dialog's plain envelope", () => {
    expect(parseResponse(401, '{"error":"Invalid api token."}')).toEqual({ kind: 'rejected', status: 401, error: { envelope: 'd360-plain', message: 'Invalid api token.' } });
  });

  it('keeps a snippet of a non-JSON error body and the Retry-After', () => {
    expect(parseResponse(503, '<html>Service Unavailable</html>', '2')).toEqual({
      kind: 'rejected',
      status: 503,
      error: { envelope: 'none', message: '<html>Service Unavailable</html>' },
      retryAfterMs: 2000,
    });
  });

  it('accepts codes sent as digit strings', () => {
    expect(parseErrorBody({ error: { code: '130429' } })).toEqual({ envelope: 'meta', code: 130429 });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
