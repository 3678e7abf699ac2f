/**
 * The metric label of a webhook event. Labels come only from a fixed list: a webhook's strings
 * are chosen by whoever posts it, and each distinct label is a new time series in Prometheus.
 */
import type { WebhookEvent } from './parse-webhook.ts';

/** Message statuses Meta documents; any other status is counted as `status:other`. */
const KNOWN_STATUSES: ReadonlySet<string> = new Set(['accepted', 'sent', 'delivered', 'read', 'failed', 'deleted', 'warning', 'held_for_quality_assessment']);

/** Kinds of `other` events litecast itself names (parse-webhook); the rest are `other:other`. */
const KNOWN_OTHER: ReadonlySet<string> = new Set(['not-an-object', 'empty', 'unknown']);

/** A bounded label for `event`: `status:<known>`, `status:other`, `click`, `preference`, `inbound`, `other:<known>` or `other:other`. */
export function webhookMetricLabel(event: WebhookEvent): string {
  switch (event.kind) {
    case 'status':
      return `status:${KNOWN_STATUSES.has(event.status) ? event.status : 'other'}`;
    case 'other': {
      if (KNOWN_OTHER.has(event.type)) return `other:${event.type}`;
      if (event.type.startsWith('error:')) return 'other:error';
      if (event.type.startsWith('user_action:')) return 'other:user_action';
      return 'other:other';
    }
    default:
      return event.kind;
  }
}
