/**
 * The report page as HTML text: static mode embeds the campaign (escaped), live mode embeds
 * nothing but asks for the token, and neither loads anything from elsewhere. No Redis, no browser
 * (test/e2e/report-page.test.ts drives the page in Chromium).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { jsonForScript, renderReportPage, STATIC_REJECTED_LIMIT } from '../../src/report/render-report-page.ts';
import type { CampaignReport } from '../../src/report/campaign-report.ts';
import type { RejectedRow } from '../../src/shared/campaign-store.ts';

const EVIL_TEMPLATE = '<script>alert("template")</script>';
const EVIL_REASON = '<img src=x onerror=alert("reason")>';
const EVIL_ROW = '</script><script>alert("row")</script>';

const row = (sent: number, delivered: number, read: number, clicked: number | null) => ({
  sent,
  delivered,
  read,
  clicked,
  failed: 0,
  failedByCode: {},
  deliveredRate: sent ? delivered / sent : null,
  readRate: sent ? read / sent : null,
  clickRate: clicked === null || !sent ? null : clicked / sent,
  deliveryMs: sent ? { median: 61, p90: 120 } : null,
});

// `as unknown as`: the report type is growing (comparison, a fallback group) while this is written.
const campaign = {
  id: 'c-2026-spring',
  state: 'paused',
  reason: EVIL_REASON,
  channelId: 'shop',
  template: { name: EVIL_TEMPLATE, language: 'en' },
  route: 'split',
  ttlSeconds: 86_400,
  createdAt: '2026-03-01T09:00:00.000Z',
  startAt: '2026-03-01T09:00:00.000Z',
  startedAt: '2026-03-01T09:00:01.000Z',
  intakeDone: true,
  counts: { total: 3000, pending: 87, sent: 2913, sentLite: 2613, sentCloud: 300, fallbacks: 40, failed: 0, expired: 0, suppressed: 0, skipped: 0, cancelled: 0, unknown: 0, delivered: 2854, read: 1683, clicked: 408 },
  errors: { '131049': 59 },
  ratePerSecond: 200,
  etaSeconds: 1,
  errorsByCode: [{ code: '131049', count: 59, class: 'recipient', meaning: 'withheld by Meta (per-user marketing cap)' }],
  funnel: { lite: row(2573, 2514, 1504, 408), cloud: row(260, 260, 159, null), fallback: row(40, 40, 20, null), liteViaCloud: row(0, 0, 0, null) },
  comparison: {
    cloudShare: 10,
    deliveredRate: { lite: 0.977, cloud: 0.956, difference: 0.021, ci95: [0.004, 0.038], significant: true },
    readRate: { lite: 0.585, cloud: 0.612, difference: -0.027, ci95: [-0.1, 0.022], significant: false },
    deliveryMs: { lite: { median: 61, p90: 120 }, cloud: { median: 58, p90: 110 } },
  },
} as unknown as CampaignReport;

const rejected: RejectedRow[] = [
  { line: 3, code: 'invalid_phone', reason: EVIL_ROW, raw: EVIL_ROW },
  { line: 9, code: 'duplicate', reason: 'duplicate of line 4' },
];

const dataBlock = (html: string) => {
  const match = /<script type="application\/json" id="litecast-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match?.[1]) throw new Error('no data block');
  return JSON.parse(match[1]) as Record<string, unknown>;
};
const policy = (html: string) => /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'") ?? '';
const inlineScript = (html: string) => {
  const match = /<script>([\s\S]*?)<\/script>/.exec(html);
  if (!match?.[1]) throw new Error('no inline script');
  return match[1];
};

describe('renderReportPage, static mode', () => {
  const html = renderReportPage({ mode: 'static', campaign, rejected, generatedAt: '2026-03-01T10:00:00.000Z' });

  it('is a complete HTML5 document with the campaign embedded as JSON', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('</html>');
    expect(dataBlock(html)).toEqual({ mode: 'static', generatedAt: '2026-03-01T10:00:00.000Z', campaign, rejected, rejectedTotal: 2 });
  });

  it('loads nothing from anywhere: no script src, no stylesheet link, no URL but the SVG namespace', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[\s>]/i);
    expect(/<style>([\s\S]*?)<\/style>/.exec(html)?.[1]).not.toMatch(/@import|url\(/i);
    expect(new Set(html.match(/https?:\/\/[^\s'"<>)]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(policy(html)).toContain("connect-src 'none'");
  });

  it('escapes user values: template name, reason and rejected rows cannot open a tag', () => {
    for (const evil of [EVIL_TEMPLATE, EVIL_REASON, EVIL_ROW, '<script>alert', '<img src=x']) expect(html).not.toContain(evil);
    // One data block and one script: a value closing the data block early would add a third tag.
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain('<title>litecast: campaign c-2026-spring (&#60;script&#62;alert(&#34;template&#34;)&#60;/script&#62;)');
    expect(jsonForScript({ a: '</script><!--&\u2028' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028"}');
  });

  it('allows exactly its own inline script and style through the Content-Security-Policy', () => {
    const csp = policy(html);
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hash(inlineScript(html))}`);
    expect(csp).toContain(`style-src ${hash(/<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '')}`);
    expect(() => new Function(inlineScript(html))).not.toThrow();
  });

  it(`embeds at most ${STATIC_REJECTED_LIMIT} rejected rows and says how many there are`, () => {
    const many = Array.from({ length: 250 }, (_, i) => ({ line: i + 2, code: 'invalid_phone', reason: `row ${i}` }));
    const data = dataBlock(renderReportPage({ mode: 'static', campaign, rejected: many, generatedAt: '2026-03-01T10:00:00.000Z' }));
    expect(data.rejected).toHaveLength(STATIC_REJECTED_LIMIT);
    expect(data.rejectedTotal).toBe(250);
  });

  it('has no token form in a snapshot', () => {
    expect(html).not.toContain('id="token-form"');
  });
});

describe('renderReportPage, live mode', () => {
  const html = renderReportPage({ mode: 'live' });

  it('embeds no data, only the mode, and offers the token form', () => {
    expect(dataBlock(html)).toEqual({ mode: 'live' });
    expect(html).not.toContain('c-2026-spring');
    expect(html).toMatch(/<form class="token" id="token-form"[^>]*>/);
    expect(html).toMatch(/<input id="token-input"[^>]*type="password"/);
    expect(policy(html)).toContain("connect-src 'self'");
  });

  it('loads nothing from elsewhere either', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[\s>]/i);
    expect(new Set(html.match(/https?:\/\/[^\s'"<>)]+/g))).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });
});
