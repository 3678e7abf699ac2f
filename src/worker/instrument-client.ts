/**
 * The 360dialog client as the worker uses it: every request's duration lands in the histogram,
 * and a run of network failures (360dialog unreachable) cools the whole channel down.
 */
import type { DialogClient } from '../dialog360/client.ts';
import type { SendResponse } from '../dialog360/parse-response.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { Route } from '../shared/outbound-message.ts';
import { createChannelBreaker } from './channel-breaker.ts';

/** Wraps `client`; `onOutage` gets the cool-down the breaker asks for, `onAnswer` every answer (for the adaptive rate's window). */
export function instrumentClient(
  client: DialogClient,
  metrics: Metrics,
  onOutage: (coolDownMs: number) => void,
  onAnswer?: (response: SendResponse, route: Route, ms: number) => void,
  /** Requests waiting for their answer, counted here and sampled into the in-flight gauge by the caller (none: not counted). */
  inFlight?: { count: number },
): DialogClient {
  const breaker = createChannelBreaker();
  return {
    ...client,
    async send(route, payload) {
      // One clock read per request feeds both the histogram and the adaptive rate's latency.
      const started = performance.now();
      if (inFlight) inFlight.count += 1;
      let response: SendResponse;
      try {
        response = await client.send(route, payload);
      } finally {
        if (inFlight) inFlight.count -= 1;
      }
      const ms = performance.now() - started;
      onAnswer?.(response, route, ms);
      metrics.requestDuration.observe({ route, result: response.kind === 'accepted' ? 'accepted' : response.kind === 'rejected' ? `http_${response.status}` : response.kind }, ms / 1000);
      const coolDownMs = breaker.record(response);
      if (coolDownMs > 0) onOutage(coolDownMs);
      return response;
    },
  };
}
