/**
 * The per-route funnel as a terminal table: sent, delivered, read, clicked, failed by code and
 * median time to delivery, for MM Lite, the Cloud API (by choice), fallbacks from MM Lite, and lite
 * sends Meta delivered via the Cloud API; and for a split campaign the comparison with its CI.
 */
import type { CampaignReport } from '../report/campaign-report.ts';

/** The funnel as lines of text. */
export function funnelTable(report: CampaignReport): string[] {
  const pct = (rate: number | null) => (rate === null ? '    -' : `${(rate * 100).toFixed(1).padStart(5)}%`);
  const rows: Array<[string, keyof CampaignReport['funnel']]> = [
    ['MM Lite', 'lite'],
    ['Cloud API', 'cloud'],
    ['Fallback', 'fallback'],
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
  if (report.clicks) lines.push(`MM Lite clicks (estimated, Meta's clicks name no recipient): ${report.clicks.estimated} of ${report.clicks.channelClicks} on the channel; ${report.clicks.method}`);
  if (report.counts.held > 0) lines.push(`held by Meta (held_for_quality_assessment or paused template): ${report.counts.held} of the sent, not delivered yet`);
  if (report.counts.ttlDropped > 0) lines.push(`TTL dropped: ${report.counts.ttlDropped} fallback(s) to the Cloud API went out without the campaign's TTL (/messages has none; only the template's own TTL, if set in WhatsApp Manager, applies)`);
  if (report.contamination) lines.push(`WARNING: contaminated holdout: ${report.contamination.warning}`);
  const c = report.comparison;
  if (c) {
    // Rounded first, so that a tiny negative difference does not print as "-0.0".
    const points = (v: number | null) => (v === null ? '-' : (Math.round(v * 1000) / 10 || 0).toFixed(1));
    for (const [label, d] of [
      ['delivered', c.deliveredRate],
      ['read', c.readRate],
    ] as const) {
      lines.push(
        d.ci95
          ? `MM Lite vs Cloud API holdout (${c.cloudShare}%), ${label} rate: ${points(d.lite)}% vs ${points(d.cloud)}%, difference ${points(d.difference)} points (95% CI ${points(d.ci95[0])} to ${points(d.ci95[1])}): ${d.significant ? 'a real difference' : 'could be noise'}`
          : `MM Lite vs Cloud API holdout, ${label} rate: not enough data yet`,
      );
    }
  }
  return lines;
}

