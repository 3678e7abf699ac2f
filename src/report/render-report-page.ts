/**
 * The report page: one self-contained HTML document (inline CSS and JavaScript, charts as inline
 * SVG, no external asset) that shows campaigns and how MM Lite compares with the Cloud API.
 *
 * - live mode: served by the API at `GET /`; the page itself holds no data and no secret. It asks
 *   for the API token once (kept in localStorage), then fetches `/v1/...` with it.
 * - static mode: `litecast campaign report ID --html FILE`; the campaign is embedded as JSON and
 *   rendered by the same script, so the file opens from file:// without any network.
 *
 * A Content-Security-Policy with the hashes of the inline script and stylesheet means that even
 * if a user value slipped through unescaped, no injected script, style or remote load would run.
 */
import { createHash } from 'node:crypto';
import type { CampaignReport } from './campaign-report.ts';
import type { RejectedRow } from '../shared/campaign-store.ts';
import { REPORT_PAGE_CHART_SCRIPT } from './report-page-chart.ts';
import { REPORT_PAGE_APP_SCRIPT } from './report-page-script.ts';
import { REPORT_PAGE_STYLE } from './report-page-style.ts';
import { REPORT_PAGE_VIEWS_SCRIPT } from './report-page-views.ts';

/** What to render: the live app, or a snapshot of one campaign with its data embedded. */
export type ReportPageInput =
  | { mode: 'live' }
  | { mode: 'static'; campaign: CampaignReport; rejected: RejectedRow[]; generatedAt: string };

/** Rejected rows embedded in a static page at most; the page says how many there are in all. */
export const STATIC_REJECTED_LIMIT = 200;

/** The client script: helpers and chart, the campaign view, then the app that starts it all. */
const SCRIPT = `(function () {\n'use strict';\n${REPORT_PAGE_CHART_SCRIPT}\n${REPORT_PAGE_VIEWS_SCRIPT}\n${REPORT_PAGE_APP_SCRIPT}\n})();\n`;
const STYLE = REPORT_PAGE_STYLE;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that is safe inside `<script type="application/json">`: `<` (so no `</script>` or
 * `<!--`), `>`, `&` and the JavaScript line separators are written as \u escapes, which
 * JSON.parse reads back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function contentSecurityPolicy(mode: ReportPageInput['mode']): string {
  return [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    // Live mode talks to the API that served it; a static snapshot talks to nobody.
    `connect-src ${mode === 'live' ? "'self'" : "'none'"}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const TOKEN_FORM = `<form class="token" id="token-form" hidden autocomplete="off">
<label for="token-input">API token</label>
<p class="muted small">The value of LITECAST_API_TOKEN. It stays in this browser (localStorage) and is sent as a bearer token to this API only.</p>
<input id="token-input" name="token" type="password" autocomplete="current-password" required>
<p class="banner" id="token-message" role="alert"></p>
<button class="primary" type="submit">Open the report</button>
</form>`;

/** Renders the report page as a complete HTML5 document. */
export function renderReportPage(input: ReportPageInput): string {
  if (/<\/script/i.test(SCRIPT)) throw new Error('the report page script must not contain "</script"');
  const data =
    input.mode === 'static'
      ? { mode: 'static', generatedAt: input.generatedAt, campaign: input.campaign, rejected: input.rejected.slice(0, STATIC_REJECTED_LIMIT), rejectedTotal: input.rejected.length }
      : { mode: 'live' };
  const title = input.mode === 'static' ? `litecast: campaign ${input.campaign.id} (${input.campaign.template.name}), ${input.generatedAt}` : 'litecast: campaigns';
  const brand = input.mode === 'live' ? '<a class="brand" href="#/">litecast</a>' : '<span class="brand">litecast</span>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(input.mode))}">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>${brand}<span class="muted">WhatsApp campaigns: MM Lite vs Cloud API</span><span class="spacer"></span>${input.mode === 'live' ? '<button type="button" id="forget-token" hidden>Forget token</button>' : ''}</header>
<main>
${input.mode === 'live' ? TOKEN_FORM : ''}
<div id="app"></div>
<noscript><p class="banner">This report is drawn by JavaScript: allow scripts for this page.</p></noscript>
</main>
<script type="application/json" id="litecast-data">${jsonForScript(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
