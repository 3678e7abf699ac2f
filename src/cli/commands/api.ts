/** `litecast api`. The HTTP server is imported only when this command runs. */
import type { Command } from 'commander';
import { LitecastError } from '../../shared/errors.ts';
import type { CliSession } from '../cli-session.ts';

/** Registers `api` on the program. */
export function registerApiCommand(program: Command, session: CliSession): void {
  program
    .command('api')
    .description('Run the HTTP API (needs LITECAST_API_TOKEN)')
    .option('--port <port>', 'port to listen on (default LITECAST_API_PORT or 8080)', (v) => Number(v))
    .option('--host <host>', 'address to listen on (default LITECAST_API_HOST or 0.0.0.0)')
    .action(async (opts: { port?: number; host?: string }) => {
      const { config, logger } = session.setup();
      if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--port must be 0–65535, got ${opts.port}`);
      const { startApi } = await import('../../api/start-api.ts');
      const api = await startApi(config, logger.child({ component: 'api' }), { ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) });
      session.out(`litecast api listening on ${api.url} (OpenAPI document at ${api.url}/docs)`);
      await session.untilStopped(() => api.close(), 10_000);
    });
}
