/**
 * The 360dialog client as the worker uses it: every request's duration lands in the histogram,
 * and a run of network failures (360dialog unreachable) cools the whole channel down.
 */
import type { DialogClient } from '../dialog360/client.ts';
import type { Metrics } from '../shared/metrics.ts';
import { createChannelBreaker } from './channel-breaker.ts';

/** Wraps `client`; `onOutage` gets the cool-down the breaker asks for. */
export function instrumentClient(client: DialogClient, metrics: Metrics, onOutage: (coolDownMs: number) => void): DialogClient {
  const breaker = createChannelBreaker();
  return {
    ...client,
    async send(route, payload) {
      const end = metrics.requestDuration.startTimer({ route });
      const response = await client.send(route, payload);
      end({ result: response.kind === 'accepted' ? 'accepted' : response.kind === 'rejected' ? `http_${response.status}` : response.kind });
      const coolDownMs = breaker.record(response);
      if (coolDownMs > 0) onOutage(coolDownMs);
      return response;
    },
  };
}
