/**
 * The report page's stylesheet, inlined into the page: no external asset may load (the page must
 * open from file:// and a strict Content-Security-Policy forbids anything else).
 */

/** The CSS of the report page. Metric colours are shared by the SVG chart and its legend. */
export const REPORT_PAGE_STYLE = `
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #fff; --panel: #f9fafb; --accent: #2563eb;
  --m-sent: #94a3b8; --m-delivered: #2563eb; --m-read: #16a34a; --m-clicked: #d97706; --bad: #b91c1c; --warn: #b45309; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 12px; padding: 10px 20px; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; font-size: 16px; color: var(--fg); text-decoration: none; }
header .spacer { flex: 1; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 48px; }
h2 { font-size: 20px; margin: 8px 0 4px; } h3 { font-size: 16px; margin: 28px 0 8px; }
a { color: var(--accent); }
.muted { color: var(--muted); } .small { font-size: 12px; }
.banner:empty { display: none; }
.banner { padding: 8px 12px; border-radius: 6px; margin: 8px 0; background: #fef2f2; color: var(--bad); border: 1px solid #fecaca; }
.notice { padding: 8px 12px; border-radius: 6px; margin: 8px 0; background: #eff6ff; border: 1px solid #bfdbfe; }
button { font: inherit; padding: 5px 12px; border: 1px solid #cbd5e1; border-radius: 6px; background: #fff; cursor: pointer; }
button:hover { background: var(--panel); } button:disabled { opacity: .6; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
form.token { max-width: 420px; margin: 40px auto; padding: 20px; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); }
form.token label { display: block; font-weight: 600; margin-bottom: 6px; }
form.token input { width: 100%; padding: 6px 8px; font: inherit; border: 1px solid #cbd5e1; border-radius: 6px; margin-bottom: 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.link { cursor: pointer; } tr.link:hover td { background: var(--panel); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #e5e7eb; }
.badge.running, .badge.scheduled { background: #dbeafe; color: #1e40af; }
.badge.completed { background: #dcfce7; color: #166534; }
.badge.paused { background: #fef3c7; color: #92400e; }
.badge.cancelled { background: #fee2e2; color: #991b1b; }
.bar { height: 10px; background: #e5e7eb; border-radius: 5px; overflow: hidden; min-width: 80px; }
.bar > div { height: 100%; background: var(--accent); }
.bar.big { height: 16px; border-radius: 8px; margin: 6px 0; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 18px; color: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 8px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; background: var(--panel); }
.tile .label { font-size: 12px; color: var(--muted); }
.tile .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.rate { color: var(--muted); font-size: 12px; margin-left: 4px; }
.na { color: var(--muted); }
.chart { width: 100%; max-width: 900px; height: auto; display: block; }
.chart text { font-size: 11px; fill: var(--fg); }
.chart .axis { stroke: #9ca3af; } .chart .grid { stroke: var(--line); }
.chart .group-label { font-size: 13px; font-weight: 600; }
.legend .sw-sent { background: var(--m-sent); } .legend .sw-delivered { background: var(--m-delivered); } .legend .sw-read { background: var(--m-read); } .legend .sw-clicked { background: var(--m-clicked); }
.m-sent { fill: var(--m-sent); } .m-delivered { fill: var(--m-delivered); } .m-read { fill: var(--m-read); } .m-clicked { fill: var(--m-clicked); }
.chart .pace-line { fill: none; stroke: #2563eb; stroke-width: 1.5; } .chart .limit-line { stroke: #dc2626; stroke-dasharray: 4 3; }
.chart .na-bar { fill: none; stroke: #9ca3af; stroke-dasharray: 3 3; }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); margin: 4px 0 10px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.verdict { margin: 6px 0; } .verdict.real { font-weight: 600; }
.toolbar { display: flex; gap: 8px; align-items: center; margin: 10px 0; }
`;
