/**
 * Every recipient of a campaign with its outcome, streamed (a million rows never sit in memory):
 * the accepted recipients from the ledger and their webhook record, then the rows rejected at
 * intake with their line and reason. As NDJSON or CSV; CSV cells that a spreadsheet would run as
 * a formula are escaped.
 */
import type { RedisClient as Redis } from '../shared/redis.ts';
import type { Outcome } from '../shared/campaign.ts';
import type { CampaignStore } from '../shared/campaign-store.ts';
import type { Keys } from '../shared/keys.ts';
import { decodeLedgerValue } from '../ledger/ledger.ts';
import type { DeliveryRecord } from '../webhooks/webhook-store.ts';

export type ExportOutcome = Outcome | 'pending';
export const EXPORT_OUTCOMES: readonly ExportOutcome[] = ['pending', 'sent', 'failed', 'expired', 'suppressed', 'skipped', 'cancelled', 'unknown', 'capped'];

export type ExportRow = {
  phone: string;
  outcome: ExportOutcome;
  route?: string;
  wamid?: string;
  code?: string;
  fellBack?: boolean;
  fallbackCode?: string;
  delivered?: boolean;
  read?: boolean;
  clicked?: boolean;
  deliveryFailure?: string;
  line?: number;
  reason?: string;
};

export const EXPORT_COLUMNS: ReadonlyArray<keyof ExportRow> = ['phone', 'outcome', 'route', 'wamid', 'code', 'fellBack', 'fallbackCode', 'delivered', 'read', 'clicked', 'deliveryFailure', 'line', 'reason'];

function rowFor(phone: string, ledgerValue: string | null, events: string | null): ExportRow {
  const entry = decodeLedgerValue(ledgerValue);
  const row: ExportRow = { phone, outcome: entry.state === 'claimed' ? 'pending' : entry.state };
  if (entry.state === 'sent') Object.assign(row, { route: entry.route, wamid: entry.wamid, fellBack: entry.fellBack, ...(entry.fallbackCode ? { fallbackCode: entry.fallbackCode } : {}) });
  if (entry.state === 'failed' || entry.state === 'unknown') row.code = entry.code;
  if (events) {
    const record = JSON.parse(events) as DeliveryRecord;
    row.delivered = record.d !== undefined;
    row.read = record.r !== undefined;
    row.clicked = record.c !== undefined;
    if (record.f) row.deliveryFailure = record.f;
  }
  return row;
}

/** Yields the campaign's recipients, optionally only those with one outcome. */
export async function* exportRecipients(redis: Redis, keys: Keys, campaigns: CampaignStore, campaignId: string, outcome?: ExportOutcome): AsyncGenerator<ExportRow> {
  await campaigns.require(campaignId);
  if (outcome !== 'skipped') {
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(keys.campaignRecipients(campaignId), cursor, 'COUNT', 500);
      cursor = next;
      const phones = flat.filter((_, i) => i % 2 === 0);
      if (phones.length === 0) continue;
      const [ledger, events] = await Promise.all([redis.hmget(keys.campaignLedger(campaignId), ...phones), redis.hmget(keys.campaignEvents(campaignId), ...phones)]);
      for (const [i, phone] of phones.entries()) {
        const row = rowFor(phone, ledger[i] ?? null, events[i] ?? null);
        if (!outcome || row.outcome === outcome) yield row;
      }
    } while (cursor !== '0');
  }
  if (!outcome || outcome === 'skipped') {
    for (const rejected of await campaigns.rejected(campaignId)) {
      yield { phone: rejected.raw ?? '', outcome: 'skipped', code: rejected.code, line: rejected.line, reason: rejected.reason };
    }
  }
}

/** A CSV cell: quoted when needed, and prefixed with ' when a spreadsheet would run it (=, +, -, @, tab, CR). */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Formats rows as CSV (with a header line) or NDJSON, one chunk per row. */
export async function* formatRows(rows: AsyncIterable<ExportRow>, format: 'csv' | 'ndjson'): AsyncGenerator<string> {
  if (format === 'csv') yield `${EXPORT_COLUMNS.join(',')}\n`;
  for await (const row of rows) {
    yield format === 'csv' ? `${EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',')}\n` : `${JSON.stringify(row)}\n`;
  }
}
