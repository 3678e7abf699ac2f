/**
 * The report page end to end, in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core): a real campaign goes through the sandbox, an in-process worker and the API
 * over HTTP, its webhooks fill the funnel, then the page must show exactly the numbers
 * `GET /v1/campaigns/:id` returns: live (token form, list, campaign view, refresh, CSV export)
 * and as a static snapshot opened from file://.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.ts';
import { renderReportPage } from '../../src/report/render-report-page.ts';
import type { CampaignReport } from '../../src/report/campaign-report.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createEventsStream, type EventsStream } from '../../src/webhooks/events-stream.ts';
import { createPipelineFixture, PROMO_COMPONENTS, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { waitFor } from '../support/wait-for.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'e2e-report-token-0123456789';
const WEBHOOK_SECRET = 'e2e-hook-secret';
const SCREENSHOT = join(import.meta.dirname, '..', 'artifacts', 'report-page.png');
// A rejected row whose reason repeats it: the page must show it as text, never run it.
const EVIL_PHONE = '<img src=x onerror="window.__pwned=1">';
const PAUSE_REASON = '132015 template <b>paused</b> for low quality<img src=x onerror="window.__pwned=2">';

let f: PipelineFixture;
let app: FastifyInstance;
let eventsQueue: EventsStream;
let apiUrl: string;
let userDataDir: string;
let browser: BrowserContext;
let page: Page;
let campaignId: string;
let route: string;
const pageErrors: string[] = [];

const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
  const res = await fetch(`${apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const report = (id: string) => api<CampaignReport>(`/v1/campaigns/${id}`);

/** Creates a campaign through the API: split 80/20 when the API knows it, else lite (55… fall back). */
async function createCampaign(recipients: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
  const body = (options: Record<string, unknown>) =>
    JSON.stringify({ channelId: 'main', template: { name: 'litecast_promo', language: 'en', components: PROMO_COMPONENTS }, ttlSeconds: 43_200, recipients, ...extra, ...options });
  const post = (options: Record<string, unknown>) => fetch(`${apiUrl}/v1/campaigns`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body(options) });
  let res = await post({ route: 'split', cloudShare: 20 });
  route = 'split';
  if (res.status === 400) {
    res = await post({ route: 'lite' });
    route = 'lite';
  }
  if (res.status !== 201) throw new Error(`campaign not created: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Every webhook posted by the sandbox and applied by the worker: nothing left in either queue. */
async function webhooksSettled(id: string): Promise<CampaignReport> {
  await f.sandbox.flushWebhooks();
  await waitFor(() => f.sandbox.stats().webhooksPending === 0, { what: 'sandbox webhooks posted', timeoutMs: 15_000 });
  let previous = '';
  return waitFor(
    async () => {
      const counts = await eventsQueue.depth();
      const r = await report(id);
      const snapshot = JSON.stringify([r.counts, r.funnel]);
      const settled = Object.values(counts).every((n) => n === 0) && r.counts.delivered === r.counts.sent && snapshot === previous;
      previous = snapshot;
      return settled ? r : undefined;
    },
    { what: 'webhooks applied', timeoutMs: 20_000, intervalMs: 250 },
  );
}

/** data-testid → text of every element that has one. */
const testIds = () =>
  page.locator('[data-testid]').evaluateAll((els) => Object.fromEntries(els.map((el) => [el.getAttribute('data-testid'), el.textContent])));

const text = (testId: string) => page.getByTestId(testId).first().textContent();

function expectPageShows(shown: Record<string, string | null>, r: CampaignReport): void {
  const expected: Record<string, string> = {};
  for (const [key, value] of Object.entries(r.counts)) expected[`count-${key}`] = String(value);
  for (const [group, row] of Object.entries(r.funnel)) {
    for (const metric of ['sent', 'delivered', 'read', 'clicked'] as const) expected[`funnel-${group}-${metric}`] = row[metric] === null ? 'n/a' : String(row[metric]);
  }
  for (const error of r.errorsByCode) expected[`error-${error.code}`] = String(error.count);
  expect(shown).toMatchObject(expected);
}

beforeAll(async () => {
  // Fail loudly rather than skip: a green run must mean the page was really checked in a browser.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium) to run the report page test.`);
  f = await createPipelineFixture({
    mps: 500,
    env: { LITECAST_API_TOKEN: TOKEN, LITECAST_WEBHOOK_SECRET: WEBHOOK_SECRET },
    sandboxConfig: { liteIneligibleRecipients: ['55*'], recipientErrors: [{ match: '4479*', code: 131026 }] },
  });
  eventsQueue = createEventsStream(f.ctx.redis, f.ctx.keys);
  app = await buildApi({ ctx: f.ctx, events: eventsQueue, metrics: createMetrics() });
  apiUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  await f.startInProcessWorker();
  f.sandbox.configure({ webhook: { url: `${apiUrl}/webhooks/360dialog/main`, headers: { 'x-litecast-webhook-secret': WEBHOOK_SECRET }, readRate: 0.5, clickRate: 0.4 } });

  const recipients: unknown[] = Array.from({ length: 160 }, (_, i) => {
    const serial = String(i).padStart(8, '0');
    return { phone: i % 8 === 0 ? `5511${serial}` : i % 23 === 5 ? `4479${serial}` : `4474${serial}`, name: `N${i}` };
  });
  recipients.push({ phone: EVIL_PHONE, name: 'X' }, { phone: '447411111111' });
  campaignId = await createCampaign(recipients);
  await f.waitForState(campaignId, 'completed', 20_000);
  await webhooksSettled(campaignId);

  userDataDir = await mkdtemp(join(tmpdir(), 'litecast-chromium-'));
  // Playwright refuses --user-data-dir in args: a persistent context is how it takes a fresh profile.
  browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, acceptDownloads: true });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
  });

  // Until the API serves the page at GET / (without a token), serve it to the browser from here;
  // every API call of the page still goes to the real API over HTTP.
  const served = await app.inject({ method: 'GET', url: '/' });
  if (served.statusCode !== 200 || !String(served.headers['content-type']).startsWith('text/html')) {
    await browser.route((url) => url.origin === apiUrl && url.pathname === '/', (r) => r.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: renderReportPage({ mode: 'live' }) }));
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await app?.close();
  await eventsQueue?.close();
  await f?.close();
});

describe('report page, live', () => {
  it('asks for the token, lists the campaign, and shows exactly the numbers of the API', async () => {
    const r = await report(campaignId);
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${apiUrl}/`);
    await page.locator('#token-input').fill(TOKEN);
    await page.getByRole('button', { name: 'Open the report' }).click();
    const listed = page.locator(`tr[data-campaign="${campaignId}"]`);
    await listed.waitFor();
    expect(await listed.textContent()).toContain(`${r.counts.total} / ${r.counts.total}`);
    expect(await page.locator('main').textContent()).not.toMatch(/\b(null|undefined|NaN)\b/);
    await listed.click();
    await page.getByTestId('campaign-view').waitFor();
    expect(page.url()).toBe(`${apiUrl}/#/campaigns/${campaignId}`);
    await page.locator('[data-testid="rejected"] table').waitFor();

    expect(r.state).toBe('completed');
    expect(await text('state')).toBe('completed');
    expectPageShows(await testIds(), r);
    expect(await page.locator('main').textContent()).not.toMatch(/\b(null|undefined|NaN)\b/);
    expect(Object.keys(r.funnel)).toEqual(expect.arrayContaining(['lite', 'cloud']));
    expect(r.funnel.cloud.sent).toBeGreaterThan(0);
    expect(r.counts.clicked).toBeGreaterThan(0);
    // The Cloud API has no clicks: "n/a" and why, never 0.
    expect(await text('funnel-cloud-clicked')).toBe('n/a');
    expect(await page.locator('tr[data-group="cloud"]').textContent()).toContain('the Cloud API sends no click events');
    expect(await page.locator('tr[data-group="cloud"] th').textContent()).toBe(route === 'split' ? 'Cloud API (holdout)' : 'Cloud API');
    expect(await page.locator('svg.chart rect').count()).toBeGreaterThanOrEqual(Object.keys(r.funnel).length * 4);

    // The rejected rows, as text: the markup in them did not run.
    const rejectedText = await page.getByTestId('rejected').textContent();
    expect(rejectedText).toContain(EVIL_PHONE);
    expect(rejectedText).toContain('missing_field');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();

    // The token is in localStorage, not in the page; every request stayed on the API's origin.
    expect(await page.evaluate('localStorage.getItem("litecast.apiToken")')).toBe(TOKEN);
    expect(await page.content()).not.toContain(TOKEN);
    expect(requests.filter((url) => !url.startsWith(`${apiUrl}/`))).toEqual([]);
    expect(pageErrors).toEqual([]);

    await mkdir(join(import.meta.dirname, '..', 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('exports the recipients as <id>.csv with the auth header', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(download.suggestedFilename()).toBe(`${campaignId}.csv`);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toMatch(/^phone,outcome,/);
    expect(lines).toHaveLength((await report(campaignId)).counts.total + 1);
  });

  it('follows progress without a reload, opened directly by its URL', async () => {
    const recipients = Array.from({ length: 30 }, (_, i) => ({ phone: `4474${String(9000 + i).padStart(8, '0')}`, name: `L${i}` }));
    const id = await createCampaign(recipients, { startAt: new Date(Date.now() + 5_000).toISOString() });
    await page.goto(`${apiUrl}/#/campaigns/${id}`);
    await page.getByTestId('campaign-view').waitFor();
    expect(await text('state')).toBe('scheduled');
    expect(await text('count-pending')).toBe('30');
    await page.evaluate('window.__sameDocument = true');
    // Polled from here: Playwright's waitForFunction evaluates a string, which the page's CSP forbids.
    await waitFor(async () => (await text('state')) === 'completed', { what: 'the page to show the campaign completed', timeoutMs: 20_000, intervalMs: 200 });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(await text('count-pending')).toBe('0');
    expect(await text('count-sent')).toBe(String((await report(id)).counts.sent));
  });

  it('shows the token form again when the API refuses the stored token', async () => {
    await page.evaluate('localStorage.setItem("litecast.apiToken", "wrong-token-0000000000")');
    await page.reload();
    await page.locator('#token-form').waitFor();
    expect(await page.locator('#token-message').textContent()).toContain('refused');
    expect(await page.evaluate('localStorage.getItem("litecast.apiToken")')).toBeNull();
    await page.locator('#token-input').fill(TOKEN);
    await page.getByRole('button', { name: 'Open the report' }).click();
    await page.getByTestId('campaign-view').waitFor();
  });
});

describe('report page, static snapshot', () => {
  it('opens from file:// without any network and shows the same numbers', async () => {
    const r = await report(campaignId);
    const dir = await mkdtemp(join(tmpdir(), 'litecast-report-'));
    try {
      const file = join(dir, `${campaignId}.html`);
      await writeFile(file, renderReportPage({ mode: 'static', campaign: r, rejected: await f.ctx.campaigns.rejected(campaignId), generatedAt: '2026-03-01T10:00:00.000Z' }));
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(`file://${file}`);
      await page.getByTestId('campaign-view').waitFor();
      expect(await text('state')).toBe('completed');
      expect(await text('count-total')).toBe(String(r.counts.total));
      expect(await text('funnel-lite-sent')).toBe(String(r.funnel.lite.sent));
      expect(await text('funnel-lite-clicked')).toBe(String(r.funnel.lite.clicked));
      expect(await text('funnel-cloud-clicked')).toBe('n/a');
      expect(await text('generated')).toContain('2026-03-01T10:00:00.000Z');
      expect(await page.getByTestId('rejected').textContent()).toContain(EVIL_PHONE);
      expect(await page.getByTestId('export-csv').count()).toBe(0);
      expect(await page.locator('#token-form').count()).toBe(0);
      expect(requests.every((url) => url.startsWith('file://'))).toBe(true);
      expect(pageErrors).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows the send window, who waits for it, capped recipients and projected expiries', async () => {
    const r = await report(campaignId);
    const dir = await mkdtemp(join(tmpdir(), 'litecast-report-'));
    try {
      const file = join(dir, 'timing.html');
      const campaign = { ...r, state: 'running', sendWindow: '09:00-20:00', waitingForWindow: 37, projectedExpiries: 12, counts: { ...r.counts, capped: 4 } } as CampaignReport;
      await writeFile(file, renderReportPage({ mode: 'static', campaign, rejected: [], generatedAt: new Date().toISOString() }));
      await page.goto(`file://${file}`);
      await page.getByTestId('campaign-view').waitFor();
      expect(await text('waiting-for-window')).toBe('37');
      expect(await text('projected-expiries')).toBe('12');
      expect(await text('count-capped')).toBe('4');
      expect(pageErrors).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('states the MM Lite vs Cloud API comparison with its confidence interval, and why a campaign is paused', async () => {
    const r = await report(campaignId);
    // The API's own comparison when it has one; else a hand-made one on the same campaign.
    const fromApi = (r as { comparison?: unknown }).comparison;
    const comparison = fromApi ?? {
      cloudShare: 20,
      deliveredRate: { lite: 0.977, cloud: 0.956, difference: 0.021, ci95: [0.004, 0.038], significant: true },
      readRate: { lite: 0.585, cloud: 0.595, difference: -0.01, ci95: [-0.022, 0.002], significant: false },
      deliveryMs: { lite: { median: 61, p90: 120 }, cloud: null },
    };
    const dir = await mkdtemp(join(tmpdir(), 'litecast-report-'));
    try {
      const file = join(dir, 'comparison.html');
      const campaign = { ...r, route: 'split', comparison, state: 'paused', reason: PAUSE_REASON } as CampaignReport;
      await writeFile(file, renderReportPage({ mode: 'static', campaign, rejected: [], generatedAt: new Date().toISOString() }));
      await page.goto(`file://${file}`);
      await page.getByTestId('comparison').waitFor();
      expect(await text('state')).toBe('paused');
      expect(await text('reason')).toBe(`Paused: ${PAUSE_REASON}`);
      expect(await page.evaluate('window.__pwned')).toBeUndefined();
      const c = comparison as { deliveredRate: { difference: number | null }; readRate: { difference: number | null } };
      const points = (d: number | null) => (d === null ? 'n/a' : (d * 100).toFixed(1).replace(/^-0\.0$/, '0.0'));
      expect(await text('comparison-delivered-difference')).toBe(points(c.deliveredRate.difference));
      expect(await text('comparison-read-difference')).toBe(points(c.readRate.difference));
      if (!fromApi) {
        expect(await text('comparison-delivered-verdict')).toBe('MM Lite delivered 2.1 points more (95% CI 0.4 to 3.8): a real difference');
        expect(await text('comparison-read-verdict')).toBe('MM Lite messages were read 1.0 points less often (95% CI \u22122.2 to 0.2): could be noise');
      }
      expect(pageErrors).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
