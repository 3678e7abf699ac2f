/** `litecast demo`. The demo (sandbox, API, worker processes) is imported only when this command runs. */
import type { Command } from 'commander';
import type { CliSession } from '../cli-session.ts';
import { positiveInt } from '../positive-int.ts';

/** Registers `demo` on the program. */
export function registerDemoCommand(program: Command, session: CliSession): void {
  program
    .command('demo')
    .description('Run a demo campaign against a local sandbox: workers, live progress, results per route')
    .option('--recipients <n>', 'generated recipients', positiveInt('--recipients'), 3_000)
    .option('--workers <n>', 'worker processes', positiveInt('--workers'), 2)
    .option('--mps <n>', 'messages per second of the demo channel', positiveInt('--mps'), 500)
    .action(async (opts: { recipients: number; workers: number; mps: number }) => {
      const { config, logger } = session.setup();
      const { runDemo } = await import('../demo.ts');
      await runDemo(config, logger, { ...opts, out: session.out, env: session.io.env, tty: session.io.stdout.isTTY === true });
    });
}
