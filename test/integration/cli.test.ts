/**
 * The `litecast` command against real Redis and the sandbox. Commands run in-process through
 * `run(argv, io)` with captured output (fast); a few smoke tests run the real command as a child
 * process, so the entry point and its exit codes are covered too.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineFixture, PROMO_COMPONENTS, recipientsCsv, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { runCli, startCli } from '../support/run-cli-in-process.ts';
import { runLitecast } from '../support/spawn-litecast.ts';
import { childEnv } from '../support/test-env.ts';

let f: PipelineFixture;
let dir: string;
let env: NodeJS.ProcessEnv;
const cli = (args: string[], input?: string, extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv }, input);

beforeAll(async () => {
  f = await createPipelineFixture({ mps: 300 });
  env = childEnv(f.config, { LOG_LEVEL: 'warn' });
  dir = await mkdtemp(join(tmpdir(), 'litecast-cli-'));
  await writeFile(join(dir, 'components.json'), JSON.stringify(PROMO_COMPONENTS));
  await writeFile(join(dir, 'good.csv'), recipientsCsv(200, (i) => `4470${String(i).padStart(8, '0')}`) + '\nnot-a-phone,X\n');
  await writeFile(join(dir, 'bad.csv'), 'phone,name\nabc,X\n12,Y\n');
  await f.startInProcessWorker();
});
afterAll(async () => {
  await f.close();
});

const create = (file: string, extra: string[] = []) =>
  cli(['campaign', 'create', '--channel', 'main', '--template', 'litecast_promo', '--language', 'en', '--recipients', join(dir, file), '--components', join(dir, 'components.json'), ...extra]);

describe('litecast command as a child process (smoke)', () => {
  it('prints help and exits 0', async () => {
    const result = await runLitecast(['--help'], env);
    expect(result.code).toBe(0);
    for (const command of ['worker', 'api', 'sandbox', 'channel', 'campaign', 'demo']) expect(result.stdout).toContain(command);
  });

  it('a failure exits with its code and message: Redis not running', async () => {
    const noRedis = await runLitecast(['channel', 'list'], { ...env, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(noRedis.code).toBe(69);
    expect(noRedis.stderr).toContain('Redis is not reachable at redis://127.0.0.1:1');
  });
});

describe('litecast CLI', () => {
  it('prints help and exits 0', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['worker', 'api', 'sandbox', 'channel', 'campaign', 'demo']) expect(result.stdout).toContain(command);
  });

  it('channel add (key from stdin), list without the key, remove; errors with their exit codes', async () => {
    const added = await cli(['channel', 'add', '--id', 'cli-ch', '--base-url', f.sandbox.url, '--api-key-stdin', '--mps', '50', '--json'], 'KEY-FROM-STDIN\n');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'cli-ch', mps: 50 });
    expect((await f.ctx.channels.loadWithKey('cli-ch')).apiKey).toBe('KEY-FROM-STDIN');
    const fromEnv = await cli(['channel', 'add', '--id', 'cli-env', '--base-url', f.sandbox.url, '--api-key-env', 'MY_D360_KEY'], undefined, { MY_D360_KEY: 'KEY-FROM-ENV' });
    expect(fromEnv.code).toBe(0);
    const list = await cli(['channel', 'list', '--json']);
    expect(list.stdout).not.toContain('KEY-FROM');
    expect((JSON.parse(list.stdout) as Array<{ id: string }>).map((c) => c.id)).toEqual(['cli-ch', 'cli-env', 'main']);
    expect((await cli(['channel', 'remove', 'cli-env'])).code).toBe(0);

    const unknown = await cli(['channel', 'remove', 'nope']);
    expect(unknown.code).toBe(67);
    expect(unknown.stderr).toContain('Unknown channel "nope"');
    const noKey = await cli(['channel', 'add', '--id', 'x', '--base-url', f.sandbox.url]);
    expect(noKey.code).toBe(64);
    expect(noKey.stderr).toContain('--api-key-stdin');
    const badMps = await cli(['channel', 'add', '--id', 'x', '--base-url', f.sandbox.url, '--api-key', 'k', '--mps', 'fast']);
    expect(badMps.code).toBe(64);
    expect(badMps.stderr).toContain('--mps must be a whole number');
    const exists = await cli(['channel', 'add', '--id', 'cli-ch', '--base-url', f.sandbox.url, '--api-key', 'k']);
    expect(exists.code).toBe(73);
  });

  it('campaign create → status (--json, --watch) → list → export → retry; rejected rows are reported with their line', async () => {
    const created = await create('good.csv', ['--ttl', '43200', '--json']);
    expect(created.code).toBe(0);
    const { id, accepted, rejected } = JSON.parse(created.stdout) as { id: string; accepted: number; rejected: number };
    expect([accepted, rejected]).toEqual([200, 1]);
    expect(created.stderr).toContain('line 202: invalid phone number');

    const watched = await cli(['campaign', 'status', id, '--watch', '--json']);
    expect(watched.code).toBe(0);
    const status = JSON.parse(watched.stdout) as { state: string; counts: Record<string, number>; funnel: unknown };
    expect(status.state).toBe('completed');
    expect(Object.keys(status.counts)).toEqual(expect.arrayContaining(['total', 'pending', 'sent', 'sentLite', 'sentCloud', 'fallbacks', 'failed', 'expired', 'suppressed', 'skipped', 'unknown', 'delivered', 'read', 'clicked']));
    expect(status.counts).toMatchObject({ total: 201, sent: 200, skipped: 1, pending: 0 });
    expect(status).toHaveProperty('funnel.lite.sent', 200);
    expect(watched.stderr).toContain('completed');

    const text = await cli(['campaign', 'status', id]);
    expect(text.stdout).toContain('MM Lite');
    const list = await cli(['campaign', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { campaigns: Array<{ id: string }> }).campaigns.map((c) => c.id)).toContain(id);

    const exported = await cli(['campaign', 'export', id, '--outcome', 'skipped', '--format', 'ndjson']);
    expect(exported.code).toBe(0);
    expect(exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number })).toEqual([expect.objectContaining({ line: 202, outcome: 'skipped', code: 'invalid_phone' })]);
    const csv = await cli(['campaign', 'export', id]);
    expect(csv.stdout.split('\n')[0]).toContain('phone,outcome,route');
    expect(csv.stdout.trim().split('\n')).toHaveLength(1 + 201);

    const retry = await cli(['campaign', 'retry', id, '--json']);
    expect(JSON.parse(retry.stdout)).toEqual({ requeued: 0, batches: 0 });

    const reportFile = join(dir, 'report.html');
    const report = await cli(['campaign', 'report', id, '--html', reportFile]);
    expect(report.code).toBe(0);
    const html = await readFile(reportFile, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(id);
    expect(html).not.toMatch(/<script[^>]+src=/);
    const noDir = await cli(['campaign', 'report', id, '--html', join(dir, 'missing', 'x.html')]);
    expect(noDir.code).toBe(66);
  }, 60_000);

  it('pause, resume and cancel; acting in the wrong state is a distinct error', async () => {
    const created = await create('good.csv', ['--start-at', new Date(Date.now() + 3_600_000).toISOString(), '--json']);
    const { id } = JSON.parse(created.stdout) as { id: string };
    expect((await cli(['campaign', 'pause', id])).code).toBe(0);
    expect((await cli(['campaign', 'resume', id])).code).toBe(0);
    expect((await cli(['campaign', 'cancel', id])).code).toBe(0);
    const again = await cli(['campaign', 'resume', id]);
    expect(again.code).toBe(75);
    expect(again.stderr).toContain('it is cancelled');
  });

  it('error paths: missing file, all rows bad, unknown channel, invalid option values, Redis not running', async () => {
    const missing = await create('nope.csv');
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(/Cannot read recipient file .*nope\.csv.*no such file/);

    const bad = await create('bad.csv');
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('line 2: invalid phone number');
    expect(bad.stderr).toContain('line 3: invalid phone number');

    const unknown = await cli(['campaign', 'create', '--channel', 'ghost', '--template', 't', '--language', 'en', '--recipients', join(dir, 'good.csv')]);
    expect(unknown.code).toBe(67);
    expect(unknown.stderr).toContain('Unknown channel "ghost"');

    const ttl = await create('good.csv', ['--ttl', '60']);
    expect(ttl.code).toBe(64);
    expect(ttl.stderr).toContain('--ttl: must be at least 43200');
    const route = await create('good.csv', ['--route', 'fast']);
    expect(route.code).toBe(64);
    expect(route.stderr).toContain('--route must be lite, cloud or split');
    const batch = await create('good.csv', ['--batch-size', '0']);
    expect(batch.code).toBe(64);
    const outcome = await cli(['campaign', 'export', 'x', '--outcome', 'lost']);
    expect(outcome.code).toBe(64);
    const unknownCampaign = await cli(['campaign', 'status', 'nope']);
    expect(unknownCampaign.code).toBe(67);

    const noRedis = await cli(['channel', 'list'], undefined, { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(noRedis.code).toBe(69);
    expect(noRedis.stderr).toContain('Redis is not reachable at redis://127.0.0.1:1');
    expect(noRedis.stderr).toContain('redis-server');
    expect(noRedis.stderr).toContain('docker compose up -d redis');
    const badConfig = await cli(['channel', 'list'], undefined, { LITECAST_RATE_MARGIN: '7' });
    expect(badConfig.code).toBe(78);
    expect(badConfig.stderr).toContain('LITECAST_RATE_MARGIN');
  }, 60_000);

  it('a placeholder that is not a CSV column is refused at creation, naming it, and nothing is left behind', async () => {
    await writeFile(join(dir, 'proto.json'), JSON.stringify([{ type: 'body', parameters: [{ type: 'text', text: '{{name}} {{constructor}}' }] }]));
    const before = await f.ctx.campaigns.listIds(0, 1_000);
    const refused = await cli(['campaign', 'create', '--channel', 'main', '--template', 'litecast_promo', '--language', 'en', '--recipients', join(dir, 'good.csv'), '--components', join(dir, 'proto.json')]);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain('{{constructor}} is not a column');
    expect((await f.ctx.campaigns.listIds(0, 1_000)).total).toBe(before.total);
  });

  it('litecast api refuses to start without a token, and serves with one', async () => {
    const refused = await cli(['api', '--port', '0']);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain('LITECAST_API_TOKEN');
    const api = await startCli(['api', '--port', '0', '--host', '127.0.0.1'], { ...env, LITECAST_API_TOKEN: 'cli-test-token-0123456789' }, 'listening on');
    const url = /listening on (http:\/\/\S+)/.exec(api.output())?.[1];
    const res = await fetch(`${url}/v1/channels`, { headers: { authorization: 'Bearer cli-test-token-0123456789' } });
    expect(res.status).toBe(200);
    expect(await api.stop()).toBe(0);
  });

  it('litecast demo runs a campaign end to end and prints the funnel per route', async () => {
    const demo = await cli(['demo', '--recipients', '400', '--mps', '400']);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/MM Lite\s+\d+/);
    expect(demo.stdout).toMatch(/Cloud API\s+[1-9]\d*\s/);
    expect(demo.stdout).toMatch(/Fallback\s+[1-9]\d*\s/);
    expect(demo.stdout).toMatch(/MM Lite vs Cloud API holdout \(20%\), delivered rate: /);
    expect(demo.stdout).toContain('suppressed 5');
    expect(demo.stdout).toContain('0 duplicates');
    expect(demo.stdout).toContain('where to look next');
  }, 90_000);
});
