/**
 * The `litecast` command as a function: `run(argv, io)` parses the arguments, runs the command
 * against the given io and returns the exit code. Importing this module does nothing; the
 * process entry point (`main.ts`) owns signals and the process exit.
 */
import { Command, CommanderError } from 'commander';
import { isLitecastError } from '../shared/errors.ts';
import type { CliIo } from './cli-io.ts';
import { createCliSession, type CliSession } from './cli-session.ts';
import { registerApiCommand } from './commands/api.ts';
import { registerCampaignCommands } from './commands/campaign.ts';
import { registerChannelCommands } from './commands/channel.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerSandboxCommand } from './commands/sandbox.ts';
import { registerWorkerCommand } from './commands/worker.ts';

/** The commander program of one run, writing through the session's io. */
export function buildProgram(session: CliSession): Command {
  const program = new Command('litecast')
    .description('Send WhatsApp marketing campaigns through 360dialog: MM Lite first, Cloud API fallback, exact per-number rate.')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void session.io.stdout.write(text),
      writeErr: (text) => void session.io.stderr.write(text),
    });
  registerWorkerCommand(program, session);
  registerSandboxCommand(program, session);
  registerChannelCommands(program, session);
  registerCampaignCommands(program, session);
  registerApiCommand(program, session);
  registerDemoCommand(program, session);
  return program;
}

/**
 * Runs the CLI and returns the exit code. Long-running commands (worker, sandbox, api) return
 * once `io.stop` is aborted and they have shut down.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const session = createCliSession(io);
  const program = buildProgram(session);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return session.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; usage errors were already printed by commander.
      return error.exitCode === 0 ? 0 : 64;
    }
    if (isLitecastError(error)) {
      session.err(`error ${error.code}: ${error.message}`);
      return error.exitCode;
    }
    session.err(`unexpected error: ${(error as Error).stack ?? String(error)}`);
    return 70;
  }
}
