/** `litecast sandbox`. The sandbox is imported only when this command runs. */
import type { Command } from 'commander';
import { LitecastError } from '../../shared/errors.ts';
import type { CliSession } from '../cli-session.ts';

/** Registers `sandbox` on the program. */
export function registerSandboxCommand(program: Command, session: CliSession): void {
  program
    .command('sandbox')
    .description('Run a local stand-in for the 360dialog API (for tests, the demo and benchmarks)')
    .option('--port <port>', 'port to listen on (0 = any free port)', (v) => Number(v), 8090)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--config <file>', 'sandbox configuration (JSON)')
    .action(async (opts: { port: number; host: string; config?: string }) => {
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `--port must be 0–65535, got ${opts.port}`);
      const { runSandboxFromCli } = await import('../../sandbox/index.ts');
      const sandbox = await runSandboxFromCli({ port: opts.port, host: opts.host, ...(opts.config ? { configFile: opts.config } : {}), log: session.out });
      await session.untilStopped(() => sandbox.close(), 5_000);
    });
}
