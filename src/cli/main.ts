/**
 * The process entry point of the `litecast` command: runs the CLI against the real process and
 * owns what belongs to the process (signals, the forced exit, the exit code).
 */
import { run } from './run.ts';

let stopping = false;
/** SIGTERM/SIGINT stop a long-running command; later signals are ignored while it shuts down. */
function waitForStop(): Promise<string> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      stopping = true;
      resolve(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
  waitForStop,
  // A shutdown that hangs (a stuck connection) must not keep the process alive forever.
  armForceExit: (afterMs) => setTimeout(() => process.exit(1), afterMs).unref(),
});
process.exitCode = code;
// A long-running command that was stopped exits at once, as does a failure; a short command that
// succeeded ends when its output is flushed.
if (code !== 0 || stopping) process.exit(code);
