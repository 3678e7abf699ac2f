/**
 * Runs the `litecast` CLI in the test process through `run(argv, io)`, with captured output:
 * the same code path as the real command without a Node start-up per call.
 */
import { Readable } from 'node:stream';
import type { CliIo, CliOutput } from '../../src/cli/cli-io.ts';
import { run } from '../../src/cli/run.ts';
import type { RunResult } from './spawn-litecast.ts';
import { waitFor } from './wait-for.ts';

function capture(): CliOutput & { text(): string } {
  let text = '';
  return {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
    text: () => text,
  };
}

type Stoppable = { io: CliIo; stdout: () => string; stderr: () => string; stop: (signal?: string) => void };

function captureIo(env: Readonly<Record<string, string | undefined>>, input?: string): Stoppable {
  const stdout = capture();
  const stderr = capture();
  let stop: (signal: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  return {
    io: { stdout, stderr, env, stdin: Readable.from(input === undefined ? [] : [input]), waitForStop: () => stopped },
    stdout: stdout.text,
    stderr: stderr.text,
    stop: (signal = 'SIGTERM') => stop(signal),
  };
}

/** Runs a short command to completion in this process. */
export async function runCli(args: string[], env: Readonly<Record<string, string | undefined>>, input?: string): Promise<RunResult> {
  const captured = captureIo(env, input);
  const code = await run(args, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

export type RunningCli = { output(): string; stop(): Promise<number> };

/** Starts a long-running command (api, worker, sandbox) in this process; resolves once `readyText` is written. */
export async function startCli(args: string[], env: Readonly<Record<string, string | undefined>>, readyText: string): Promise<RunningCli> {
  const captured = captureIo(env);
  const output = () => captured.stdout() + captured.stderr();
  const exited = run(args, captured.io);
  let done = false;
  void exited.finally(() => (done = true));
  await waitFor(() => done || output().includes(readyText), { what: `litecast ${args.join(' ')} to print "${readyText}"`, intervalMs: 10 });
  if (!output().includes(readyText)) throw new Error(`litecast ${args.join(' ')} exited with ${await exited} before ready:\n${output()}`);
  return {
    output,
    stop: async () => {
      captured.stop();
      return exited;
    },
  };
}
