/**
 * Section 4: webhook ingestion. NOT MEASURED YET: the receiver (`POST /webhooks/360dialog`, in
 * `src/api`) is being built. Until it lands, this returns the section's figures without values, so
 * the table says "not measured yet" and results.json keeps their place and targets; no number is
 * made up.
 *
 * How to fill it in, once the receiver and its event processor exist:
 *   1. start the API in its own process (`litecast api`, or the module's own entry point) on a
 *      fresh namespace with LITECAST_WEBHOOK_SECRET set, and one event-processing worker;
 *   2. a sandbox with `webhook.url` pointing at it (sentDelayMs/deliveredDelayMs/readDelayMs small,
 *      batchMaxStatuses 50), and a campaign sent through it; or post recorded webhook bodies
 *      directly with a keep-alive client at a fixed rate;
 *   3. measure: events acknowledged per second at saturation, the p99 time to acknowledge (360dialog
 *      gives up after 5 s), and the lag from acknowledgement to the event being applied (delivered /
 *      read counters moved), plus the CPU per event of the API and Redis.
 */
import { figure, type Figure } from './report.ts';

export type WebhookIngestionOptions = { redisUrl: string; quick: boolean };

/** Returns the webhook figures; all `not measured` until the receiver exists (see above). */
export async function measureWebhookIngestion(_options: WebhookIngestionOptions): Promise<Figure[]> {
  const section = '4. webhook ingestion';
  const note = 'not measured yet: POST /webhooks/360dialog is being built in src/api; see bench/webhook-ingestion.ts';
  return [
    figure({ id: 'webhooks.events-per-second', section, name: 'webhook events acknowledged per second', value: null, unit: 'events/s', note }),
    figure({ id: 'webhooks.ack-p99', section, name: 'time to acknowledge a webhook POST, p99', value: null, unit: 'ms', target: { op: '<=', value: 5_000 }, note }),
    figure({ id: 'webhooks.apply-lag-p99', section, name: 'acknowledged to applied (counters moved), p99', value: null, unit: 'ms', note }),
  ];
}
