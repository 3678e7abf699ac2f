/** Management calls retry network failures and 5xx through p-retry, never a 4xx. */
import { describe, expect, it } from 'vitest';
import { withManagementRetries } from '../../src/dialog360/retry-management-call.ts';

function scripted(answers: Array<{ status: number; body: string } | Error>) {
  let calls = 0;
  const next = async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)] as { status: number; body: string } | Error;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { client: { getJson: next, postJson: next }, calls: () => calls };
}

describe('withManagementRetries', () => {
  it('retries a network failure and a 502, then returns the answer', async () => {
    const s = scripted([new Error('GET /v1/configs/templates failed: connect ECONNREFUSED'), { status: 502, body: 'bad gateway' }, { status: 200, body: '{}' }]);
    expect(await withManagementRetries(s.client, { minTimeoutMs: 1 }).getJson('/v1/configs/templates')).toEqual({ status: 200, body: '{}' });
    expect(s.calls()).toBe(3);
  });
  it('returns a 4xx at once', async () => {
    const s = scripted([{ status: 401, body: '{"error":"Invalid api token."}' }, { status: 200, body: '{}' }]);
    expect(await withManagementRetries(s.client, { minTimeoutMs: 1 }).postJson('/v1/configs/webhook', {})).toMatchObject({ status: 401 });
    expect(s.calls()).toBe(1);
  });
  it('hands back the last 5xx when the retries run out', async () => {
    const s = scripted([{ status: 503, body: 'down' }]);
    expect(await withManagementRetries(s.client, { retries: 2, minTimeoutMs: 1 }).getJson('/x')).toEqual({ status: 503, body: 'down' });
    expect(s.calls()).toBe(3);
  });
});
