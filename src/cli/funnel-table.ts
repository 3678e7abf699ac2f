/**
 * The per-route funnel as a terminal table: sent, delivered, read, clicked, failed by code and
 * median time to delivery, for MM Lite, the Cloud API, and lite sends Meta delivered via the Cloud API.
 */
import type { CampaignReport } from '../shared/campaign-report.ts';

/** The funnel as lines of text. */
export function funnelTable(report: CampaignReport): string[] {
  const pct = (rate: number | null) => (rate === null ? '    -' : `${(rate * 100).toFixed(1).padStart(5)}%`);
  const rows: Array<[string, keyof CampaignReport['funnel']]> = [
    ['MM Lite', 'lite'],
    ['Cloud API', 'cloud'],
    ['Lite→Cloud', 'liteViaCloud'],
  ];
  const lines = ['route          sent  delivered       read    clicked  failed (by code)          median delivery'];
  for (const [label, group] of rows) {
    const g = report.funnel[group];
    const failed = Object.entries(g.failedByCode).map(([code, n]) => `${code}×${n}`).join(' ') || '0';
    const clicked = g.clicked === null ? '  n/a *' : `${String(g.clicked).padStart(5)} ${pct(g.clickRate)}`;
    lines.push(
      `${label.padEnd(12)} ${String(g.sent).padStart(6)}  ${String(g.delivered).padStart(5)} ${pct(g.deliveredRate)}  ${String(g.read).padStart(5)} ${pct(g.readRate)}  ${clicked.padEnd(12)}  ${failed.padEnd(24)}  ${g.deliveryMs ? `${g.deliveryMs.median} ms` : '-'}`,
    );
  }
  lines.push('* the Cloud API sends no click events, so there is no click figure to compare');
  return lines;
}

