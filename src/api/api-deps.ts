/**
 * What the API's route modules are built on. In its own file so the routes and `buildApi` do not
 * import each other.
 */
import type { Queue } from 'bullmq';
import type { AppContext } from '../shared/app-context.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { WebhookJob } from '../webhooks/process-webhook.ts';

export type ApiDeps = {
  ctx: AppContext;
  eventsQueue: Queue<WebhookJob>;
  metrics: Metrics;
  limits?: { jsonBodyBytes?: number; uploadBytes?: number };
};
