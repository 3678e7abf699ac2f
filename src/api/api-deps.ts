/**
 * What the API's route modules are built on. In its own file so the routes and `buildApi` do not
 * import each other.
 */
import type { AppContext } from '../shared/app-context.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { EventsStream } from '../webhooks/events-stream.ts';

export type ApiDeps = {
  ctx: AppContext;
  /** Where the webhook endpoint appends the bodies it acknowledges. */
  events: EventsStream;
  metrics: Metrics;
  limits?: { jsonBodyBytes?: number; uploadBytes?: number };
};
