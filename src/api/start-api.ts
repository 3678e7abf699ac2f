/**
 * Runs the API: builds the app on an app context, listens, and closes in order.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createAppContext } from '../shared/app-context.ts';
import type { Config } from '../shared/config.ts';
import { createMetrics } from '../shared/metrics.ts';
import { createRedis, FAIL_FAST_OPTIONS } from '../shared/redis.ts';
import { sweepAbandonedIntakes } from '../producer/intake-liveness.ts';
import { createEventsStream } from '../webhooks/events-stream.ts';
import { buildApi } from './build-api.ts';

export type RunningApi = { app: FastifyInstance; url: string; close(): Promise<void> };

export async function startApi(config: Config, logger: Logger, options: { port?: number; host?: string } = {}): Promise<RunningApi> {
  const ctx = await createAppContext(config, logger, { failFast: true });
  // Campaigns whose intake died half-way (process killed, Redis lost mid-upload) go before anything else.
  const swept = await sweepAbandonedIntakes(ctx);
  if (swept.length > 0) logger.warn({ campaigns: swept }, 'removed campaigns whose intake never finished');
  // Webhook bodies get their own connection, so a campaign upload's long pipelines never delay an
  // acknowledgement (events-stream.ts appends the bodies of one event-loop turn in one call).
  const intake = createRedis(config.redisUrl, 'command', FAIL_FAST_OPTIONS);
  intake.on('error', (error) => logger.debug({ err: error }, 'redis connection error (webhook intake)'));
  if (intake.status !== 'ready') await new Promise((resolve) => intake.once('ready', resolve));
  const events = createEventsStream(intake, ctx.keys);
  const app = await buildApi({ ctx, events, metrics: createMetrics() });
  const address = await app.listen({ port: options.port ?? config.apiPort, host: options.host ?? config.apiHost });
  return {
    app,
    url: address.replace('[::]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1'),
    async close() {
      await app.close();
      await events.close();
      await intake.quit().catch(() => undefined);
      await ctx.close();
    },
  };
}
