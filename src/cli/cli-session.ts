/**
 * The state of one CLI run: its io, the configuration and logger (read once, on first use, from
 * the run's environment), and the helpers every command group shares.
 */
import { once } from 'node:events';
import { createAppContext, type AppContext } from '../shared/app-context.ts';
import { loadConfig, type Config } from '../shared/config.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import type { CliIo } from './cli-io.ts';

export type CliSession = {
  io: CliIo;
  /** Writes one line to stdout (results: ids, JSON, tables). */
  out(text: string): void;
  /** Writes one line to stderr (messages for the person at the terminal). */
  err(text: string): void;
  /** Writes a chunk to stdout, waiting for the pipe to drain when it is full. */
  write(chunk: string): Promise<void>;
  setup(): { config: Config; logger: Logger };
  /** Runs a command body with an app context that is always closed afterwards. */
  withContext<T>(body: (ctx: AppContext) => Promise<T>): Promise<T>;
  /**
   * Keeps a long-running command alive until `io.waitForStop()` resolves, then runs `stop`. A failed
   * stop is reported and gives exit code 1, as the process entry did before.
   */
  untilStopped(stop: () => Promise<void>, forceAfterMs: number): Promise<void>;
  /** Exit code a command sets without throwing (a failed shutdown). */
  exitCode: number;
};

/** Creates the session of one run; nothing is read or connected until a command asks. */
export function createCliSession(io: CliIo): CliSession {
  let config: Config | undefined;
  let logger: Logger | undefined;
  const session: CliSession = {
    io,
    exitCode: 0,
    out: (text) => void io.stdout.write(`${text}\n`),
    err: (text) => void io.stderr.write(`${text}\n`),
    async write(chunk) {
      if (!io.stdout.write(chunk) && io.stdout.once) await once(io.stdout as never, 'drain');
    },
    setup() {
      config ??= loadConfig(io.env);
      // Logs go to stderr so that stdout stays clean for --json and exports.
      logger ??= createLogger({ level: config.logLevel, destination: io.stderr as never, base: { component: 'cli' } });
      return { config, logger };
    },
    async withContext(body) {
      const { config, logger } = session.setup();
      const ctx = await createAppContext(config, logger);
      try {
        return await body(ctx);
      } finally {
        await ctx.close();
      }
    },
    async untilStopped(stop, forceAfterMs) {
      const signal = await io.waitForStop();
      session.setup().logger.info({ signal }, 'shutting down');
      io.armForceExit?.(forceAfterMs);
      try {
        await stop();
      } catch (error) {
        session.err(`shutdown failed: ${(error as Error).message}`);
        session.exitCode = 1;
      }
    },
  };
  return session;
}
