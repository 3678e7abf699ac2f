import { describe, expect, it } from 'vitest';
import { classifySendError, type Verdict } from '../../src/dialog360/classify-send-error.ts';
import { parseResponse, type SendResponse } from '../../src/dialog360/parse-response.ts';
import type { Route } from '../../src/shared/outbound-message.ts';
import {
  D360_RATE_LIMIT_OBJECT,
  D360_RATE_LIMIT_PLAIN,
  INVALID_API_TOKEN,
  MM_TEMPLATE_REFUSALS,
  NOT_A_MARKETING_TEMPLATE,
  NOT_A_TEMPLATE_MESSAGE,
  TEMPLATE_NOT_APPROVED_FOR_MARKETING,
  TEMPLATE_NOT_SYNCED,
  TERMS_NOT_ACCEPTED,
  type ErrorFixture,
} from '../../src/sandbox/fixtures/error-bodies.ts';

function classify(fixture: ErrorFixture, route: Route): Verdict {
  const response = parseResponse(fixture.httpStatus, JSON.stringify(fixture.body));
  if (response.kind === 'accepted') throw new Error('expected a refusal');
  return classifySendError(response as Exclude<SendResponse, { kind: 'accepted' }>, route);
}

/** Every documented body the sandbox answers with, and what it must mean on each route. */
const CASES: Array<[name: string, fixture: ErrorFixture, lite: Partial<Verdict>, cloud: Partial<Verdict>]> = [
  ['131055 not a marketing template', NOT_A_MARKETING_TEMPLATE, { class: 'fallback', code: '131055', scope: 'template' }, { class: 'fatal' }],
  ['131055 terms not accepted', TERMS_NOT_ACCEPTED, { class: 'fallback', code: '131055', scope: 'channel' }, { class: 'fatal' }],
  ['100 not a template message', NOT_A_TEMPLATE_MESSAGE, { class: 'fallback', code: '100', scope: 'message' }, { class: 'fatal' }],
  ['134100', MM_TEMPLATE_REFUSALS[134100], { class: 'fallback', code: '134100', scope: 'template' }, { class: 'fatal' }],
  ['134101', MM_TEMPLATE_REFUSALS[134101], { class: 'fallback', code: '134101', scope: 'template' }, { class: 'fatal' }],
  ['134102', MM_TEMPLATE_REFUSALS[134102], { class: 'fallback', code: '134102', scope: 'template' }, { class: 'fatal' }],
  ['134103', MM_TEMPLATE_REFUSALS[134103], { class: 'fallback', code: '134103', scope: 'template' }, { class: 'fatal' }],
  ['200 template not approved for marketing (403)', TEMPLATE_NOT_APPROVED_FOR_MARKETING, { class: 'fallback', code: '200', scope: 'template' }, { class: 'fatal', code: '200' }],
  ['131009 template not synced', TEMPLATE_NOT_SYNCED, { class: 'fallback', code: '131009' }, { class: 'fatal' }],
  ['360dialog rate limit, plain', D360_RATE_LIMIT_PLAIN, { class: 'throttle', code: 'D360_RATE_LIMIT' }, { class: 'throttle', code: 'D360_RATE_LIMIT' }],
  ['360dialog rate limit, object', D360_RATE_LIMIT_OBJECT, { class: 'throttle', code: 'D360_RATE_LIMIT' }, { class: 'throttle', code: 'D360_RATE_LIMIT' }],
  ['invalid api token', INVALID_API_TOKEN, { class: 'fatal', code: 'D360_INVALID_API_KEY' }, { class: 'fatal', code: 'D360_INVALID_API_KEY' }],
];

describe('classification of the documented bodies (src/sandbox/fixtures/error-bodies.ts)', () => {
  it.each(CASES)('%s', (_name, fixture, lite, cloud) => {
    expect(fixture.source).not.toBe('');
    expect(classify(fixture, 'lite')).toMatchObject(lite);
    expect(classify(fixture, 'cloud')).toMatchObject(cloud);
  });

  it('never pauses the campaign for a template-scope MM refusal', () => {
    for (const fixture of [NOT_A_MARKETING_TEMPLATE, TEMPLATE_NOT_APPROVED_FOR_MARKETING, ...Object.values(MM_TEMPLATE_REFUSALS)]) {
      expect(classify(fixture, 'lite').class).toBe('fallback');
    }
  });

  it('keeps an unrecognised 131055 channel-wide and any other 200 fatal', () => {
    const bare = parseResponse(400, JSON.stringify({ error: { code: 131055, message: 'something else' } }));
    expect(classifySendError(bare as Exclude<SendResponse, { kind: 'accepted' }>, 'lite')).toMatchObject({ class: 'fallback', scope: 'channel' });
    const other200 = parseResponse(403, JSON.stringify({ error: { code: 200, message: 'Permissions error' } }));
    expect(classifySendError(other200 as Exclude<SendResponse, { kind: 'accepted' }>, 'lite')).toMatchObject({ class: 'fatal' });
  });
});

describe('message_status in a 200 answer', () => {
  it.each(['accepted', 'held_for_quality_assessment', 'paused'])('surfaces %s on the accepted result', (status) => {
    const body = { messaging_product: 'whatsapp', contacts: [{ input: '4915112345678', wa_id: '4915112345678' }], messages: [{ id: 'wamid.X', message_status: status }] };
    expect(parseResponse(200, JSON.stringify(body))).toMatchObject({ kind: 'accepted', status: 200, wamid: 'wamid.X', messageStatus: status });
  });
});
