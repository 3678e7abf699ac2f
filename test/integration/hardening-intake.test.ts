/**
 * Issue 17, the intake cases through the real API over HTTP (real Redis): a CSV of a million blank
 * lines must not stall the server, a placeholder named after a prototype property is not a
 * column, and a huge cell does not become a huge stored reason. Each case is recorded for
 * RELIABILITY.md.
 */
import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createEventsStream } from '../../src/webhooks/events-stream.ts';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { recordHostile } from '../support/record-hostile.ts';

const TOKEN = 'test-api-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const later = () => new Date(Date.now() + 3_600_000).toISOString();
const NAME_COMPONENTS = [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }] }];

let f: PipelineFixture;
let app: FastifyInstance;
let port: number;
let events: ReturnType<typeof createEventsStream>;

beforeAll(async () => {
  f = await createPipelineFixture({ mps: 500, env: { LITECAST_API_TOKEN: TOKEN } });
  events = createEventsStream(f.ctx.redis, f.ctx.keys);
  app = await buildApi({ ctx: f.ctx, events, metrics: createMetrics() });
  port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
});
afterAll(async () => {
  await app.close();
  await events.close();
  await f.close();
});

const uploadQuery = (components: unknown) =>
  new URLSearchParams({ channelId: 'main', template: 'litecast_promo', language: 'en', components: JSON.stringify(components), ttlSeconds: '43200', startAt: later() }).toString();

/** Starts a CSV upload over a real connection; `send` writes more, `finish` ends it and waits for the answer. */
function startUpload(query: string) {
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: `/v1/campaigns?${query}`, headers: { ...auth, 'content-type': 'text/csv' } });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  return {
    send: (piece: string) => new Promise<void>((resolve) => (req.write(piece) ? resolve() : req.once('drain', resolve))),
    finish: (piece: string) => {
      req.end(piece);
      return answer;
    },
  };
}

/** POSTs a whole CSV and resolves with the status and body. */
async function uploadCsv(query: string, pieces: readonly string[]): Promise<{ status: number; body: string }> {
  const upload = startUpload(query);
  for (const piece of pieces.slice(0, -1)) await upload.send(piece);
  return upload.finish(pieces.at(-1) ?? '');
}

const campaignCount = async () => (await f.ctx.campaigns.listIds(0, 1)).total;

describe('hostile uploads (issue 17, items 4, 5 and 10)', () => {
  it('a CSV of a million blank lines is read while /healthz keeps answering, and the row after them is kept', async () => {
    const upload = startUpload(uploadQuery(NAME_COMPONENTS));
    await upload.send('phone,name\n');
    await upload.send('\n'.repeat(1_000_000));
    // The upload is still open (its last row not sent): the server answers other requests meanwhile.
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const result = await upload.finish('447000000001,Ana\n');
    expect(result.status).toBe(201);
    const created = JSON.parse(result.body) as { id: string; counts: { total: number } };
    expect(created.counts.total).toBe(1);
    await recordHostile({ table: 'hostile', where: 'API upload', input: 'a 1 MB CSV of a million blank lines, then one row', result: '201, the one row kept; `/healthz` answered while the upload was open (the reader yields every 10 ms: unit test)' });
  });

  it('{{__proto__}} or {{constructor}} with no such column is refused at the header, naming the placeholder, and leaves nothing behind', async () => {
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const before = await campaignCount();
      const components = [{ type: 'body', parameters: [{ type: 'text', text: `{{${name}}}` }] }];
      const result = await uploadCsv(uploadQuery(components), ['phone,name\n', '447000000002,Ana\n']);
      expect(result.status).toBe(422);
      expect(result.body).toContain(name);
      expect(await campaignCount()).toBe(before);
    }
    await recordHostile({ table: 'hostile', where: 'API upload', input: 'components with `{{__proto__}}`, `{{constructor}}`, `{{toString}}` and no such CSV column', result: '422 `LITECAST_ERR_BAD_RECIPIENTS` naming the placeholder; nothing created' });
  });

  it('a 1 MB cell in the phone column is rejected with a bounded reason', async () => {
    const huge = 'x'.repeat(1_000_000);
    const result = await uploadCsv(uploadQuery(NAME_COMPONENTS), ['phone,name\n', `${huge},Ana\n`, '447000000003,Bo\n']);
    expect(result.status).toBe(201);
    const { id } = JSON.parse(result.body) as { id: string };
    const rejected = await f.ctx.campaigns.rejected(id);
    expect(rejected).toHaveLength(1);
    const stored = JSON.stringify(rejected[0]);
    expect(stored.length).toBeLessThan(400);
    await recordHostile({ table: 'hostile', where: 'API upload', input: 'a CSV with a 1 MB phone cell', result: `the row is rejected; its stored reason is ${stored.length} bytes` });
  });
});
