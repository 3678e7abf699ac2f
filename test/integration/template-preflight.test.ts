/**
 * Template preflight at campaign creation, through the API and the CLI, against the sandbox's
 * `GET /v1/configs/templates` over HTTP: refusals name the field, a young template is a warning,
 * and skipTemplateCheck / --skip-template-check skip it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.ts';
import { createMetrics } from '../../src/shared/metrics.ts';
import { createEventsStream } from '../../src/webhooks/events-stream.ts';
import { createPipelineFixture, PROMO_COMPONENTS, type PipelineFixture } from '../support/pipeline-fixture.ts';
import { runCli } from '../support/run-cli-in-process.ts';
import { childEnv } from '../support/test-env.ts';

const TOKEN = 'preflight-api-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let f: PipelineFixture;
let app: FastifyInstance;
let closeQueue: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  f = await createPipelineFixture({
    mps: 100,
    env: { LITECAST_API_TOKEN: TOKEN },
    sandboxConfig: {
      templates: [
        { name: 'litecast_promo', bodyParams: 1 },
        { name: 'order_update', category: 'UTILITY' },
        { name: 'paused_promo', bodyParams: 1, status: 'PAUSED' },
        { name: 'fresh_promo', bodyParams: 1, createdAt: new Date(Date.now() - 3 * 60_000).toISOString() },
      ],
    },
  });
  const eventsQueue = createEventsStream(f.ctx.redis, f.ctx.keys);
  closeQueue = () => eventsQueue.close();
  app = await buildApi({ ctx: f.ctx, events: eventsQueue, metrics: createMetrics(), limits: { uploadBytes: 1024 * 1024, jsonBodyBytes: 1024 * 1024 } });
  dir = await mkdtemp(join(tmpdir(), 'litecast-preflight-'));
  await writeFile(join(dir, 'components.json'), JSON.stringify(PROMO_COMPONENTS));
  await writeFile(join(dir, 'r.csv'), 'phone,name\n447000000001,Ana\n');
});
afterAll(async () => {
  await app.close();
  await closeQueue();
  await f.close();
});

const create = (template: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/campaigns',
    headers: auth,
    payload: { channelId: 'main', template: { language: 'en', components: PROMO_COMPONENTS, ...template }, startAt: Date.now() + 3_600_000, recipients: [{ phone: '447000000001', name: 'Ana' }], ...extra },
  });

describe('template preflight through the API', () => {
  it('refuses a missing, unapproved or non-marketing template, a missing language and a wrong parameter count, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ name: 'no_such_template' }, 'template.name', 'does not exist on this channel'],
      [{ name: 'litecast_promo', language: 'de' }, 'template.language', 'exists in: en'],
      [{ name: 'paused_promo' }, 'template.name', 'is PAUSED, not APPROVED'],
      [{ name: 'order_update', components: [] }, 'template.name', 'MM Lite sends MARKETING templates only'],
      [{ name: 'litecast_promo', components: [] }, 'template.components', 'expects 1 parameter(s) in body, the campaign gives 0'],
    ];
    for (const [template, field, text] of cases) {
      const res = await create(template);
      expect(res.statusCode, JSON.stringify(template)).toBe(400);
      const body = res.json() as { error: { code: string; message: string } };
      expect(body.error.code).toBe('LITECAST_ERR_VALIDATION');
      expect(body.error.message).toContain(`${field}: `);
      expect(body.error.message).toContain(text);
    }
    // A utility template is fine on the Cloud API route.
    expect((await create({ name: 'order_update', components: [] }, { route: 'cloud' })).statusCode).toBe(201);
  });

  it('warns about a template created under 10 minutes ago, and skipTemplateCheck skips the check', async () => {
    const fresh = await create({ name: 'fresh_promo' });
    expect(fresh.statusCode).toBe(201);
    expect((fresh.json() as { warnings: unknown[] }).warnings).toEqual([{ code: 'TEMPLATE_TOO_NEW', message: expect.stringContaining('created 3 minute(s) ago') }]);
    const skipped = await create({ name: 'no_such_template' }, { skipTemplateCheck: true });
    expect(skipped.statusCode).toBe(201);
  });
});

describe('template preflight through the CLI', () => {
  it('refuses under the flag name, and --skip-template-check skips it', async () => {
    const env = childEnv(f.config, { LOG_LEVEL: 'warn' });
    const args = ['campaign', 'create', '--channel', 'main', '--language', 'en', '--recipients', join(dir, 'r.csv'), '--components', join(dir, 'components.json'), '--start-at', new Date(Date.now() + 3_600_000).toISOString()];
    const refused = await runCli([...args, '--template', 'order_update'], env);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('--template: template "order_update" (en) is UTILITY');
    const skipped = await runCli([...args, '--template', 'order_update', '--skip-template-check', '--json'], env);
    expect(skipped.code).toBe(0);
    const fresh = await runCli([...args, '--template', 'fresh_promo'], env);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toContain('warning: template "fresh_promo" (en) was created');
  });
});
