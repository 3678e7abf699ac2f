/**
 * Management calls (template listing, webhook configuration) retried through p-retry when the
 * failure is transient: no answer (network) or a 5xx. A 4xx is 360dialog's verdict on the request
 * (bad key, bad body) and comes back at once; retrying it would only repeat it.
 */
import pRetry, { AbortError } from 'p-retry';
import type { DialogClient } from './client.ts';

type Answer = { status: number; body: string };

/** A 5xx answer, thrown so p-retry tries again; the last one is turned back into an answer. */
class TransientAnswer extends Error {
  constructor(readonly answer: Answer) {
    super(`HTTP ${answer.status}`);
  }
}

export type ManagementRetryOptions = {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** First wait in ms, doubled each retry (default 250). */
  minTimeoutMs?: number;
};

async function callWithRetries(call: () => Promise<Answer>, options: ManagementRetryOptions): Promise<Answer> {
  try {
    return await pRetry(
      async () => {
        const answer = await call();
        if (answer.status >= 500) throw new TransientAnswer(answer);
        return answer;
      },
      {
        retries: options.retries ?? 3,
        minTimeout: options.minTimeoutMs ?? 250,
        factor: 2,
        // Network failures and 5xx only; anything else (a bug in the caller) is not retried.
        shouldRetry: ({ error }) => !(error instanceof AbortError),
      },
    );
  } catch (error) {
    // Out of retries on a 5xx: hand the answer back, the caller reports status and body.
    if (error instanceof TransientAnswer) return error.answer;
    throw error;
  }
}

/** The client's management calls (`getJson`, `postJson`) with transient failures retried. */
export function withManagementRetries<C extends Pick<DialogClient, 'getJson' | 'postJson'>>(client: C, options: ManagementRetryOptions = {}): Pick<DialogClient, 'getJson' | 'postJson'> {
  return {
    getJson: (path) => callWithRetries(() => client.getJson(path), options),
    postJson: (path, body) => callWithRetries(() => client.postJson(path, body), options),
  };
}
