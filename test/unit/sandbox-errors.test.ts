import { describe, expect, it } from 'vitest';
import { buildErrorBody, buildMetaError, catalogueCodes, describeError } from '../../src/sandbox/sandbox-errors.ts';

describe('sandbox error catalogue', () => {
  it('gives every code a title and an HTTP status in the error ranges', () => {
    for (const code of catalogueCodes()) {
      const entry = describeError(code);
      expect(entry.title.length, `title of ${code}`).toBeGreaterThan(3);
      expect(entry.details.length, `details of ${code}`).toBeGreaterThan(3);
      expect(entry.httpStatus, `status of ${code}`).toBeGreaterThanOrEqual(400);
      expect(entry.httpStatus).toBeLessThan(600);
    }
  });

  it.each([
    [130429, 400],
    [131056, 400],
    [132001, 404],
    [131000, 500],
    [368, 403],
  ])('maps %i to HTTP %i', (code, status) => {
    expect(describeError(code).httpStatus).toBe(status);
  });

  it('builds the three envelopes', () => {
    const error = buildMetaError({ code: 131009, details: 'why', subcode: 2494010 }, 'Atrace');
    expect(error).toEqual({
      message: '(#131009) Parameter value is not valid',
      type: 'OAuthException',
      code: 131009,
      error_subcode: 2494010,
      error_data: { messaging_product: 'whatsapp', details: 'why' },
      fbtrace_id: 'Atrace',
      is_transient: false,
    });
    expect(buildErrorBody('meta', error)).toEqual({ error });
    expect(buildErrorBody('wrapped', error)).toEqual({ detail: { error } });
    expect(buildErrorBody('plain', error)).toEqual({ error: '(#131009) Parameter value is not valid' });
  });

  it('still answers for codes outside the catalogue', () => {
    expect(buildMetaError({ code: 999_999 }, 'A').message).toBe('(#999999) Error 999999');
  });
});
