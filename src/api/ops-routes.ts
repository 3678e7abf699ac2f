/**
 * The report page, health, readiness, the OpenAPI document and Prometheus metrics.
 */
import type { FastifyInstance } from 'fastify';
import { aggregatedMetrics } from '../shared/metrics.ts';
import { renderReportPage } from '../report/render-report-page.ts';
import type { ApiDeps } from './api-deps.ts';
import { errorBody } from './api-errors.ts';

export function registerOpsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { ctx } = deps;

  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', security: [] } }, async () => ({ ok: true }));

  app.get('/readyz', { schema: { summary: 'Readiness: Redis is reachable', security: [] } }, async (_request, reply) => {
    try {
      await Promise.race([ctx.redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1_000))]);
      return { ok: true, redis: 'up' };
    } catch (error) {
      return reply.code(503).send(errorBody('LITECAST_ERR_NOT_READY', `Redis is not reachable: ${(error as Error).message}`));
    }
  });

  app.get('/', { schema: { summary: 'The report page (asks for the API token once)', security: [] } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(renderReportPage({ mode: 'live' })),
  );

  app.get('/docs', { schema: { summary: 'This API as an OpenAPI 3 document' } }, async () => app.swagger());

  app.get('/metrics', { schema: { summary: 'Prometheus metrics of the API and every running worker' } }, async (_request, reply) => {
    const sendCounts = await ctx.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    // The webhook stream: bodies not read yet (waiting) and read but not acknowledged (active).
    const events = await deps.events.depth();
    const depth = [
      Object.entries(sendCounts).map(([state, value]) => ({ labels: { queue: 'send', state }, value })),
      [
        { labels: { queue: 'events', state: 'waiting' }, value: events.unread },
        { labels: { queue: 'events', state: 'active' }, value: events.pending },
      ],
    ];
    const { contentType, text } = await aggregatedMetrics(ctx.redis, ctx.keys, deps.metrics.registry, [
      { name: 'litecast_queue_depth', help: 'Jobs in the send queue and bodies in the webhook stream, by queue and state', type: 'gauge', values: depth.flat(), aggregator: 'sum' } as never,
    ]);
    return reply.type(contentType).send(text);
  });
}
