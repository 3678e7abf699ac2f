/**
 * Runs the real `litecast` command as a child process, as a user would, and collects its output.
 * The child runs the TypeScript sources through tsx (as `npm run dev` does), so tests never depend
 * on a stale dist/; the compiled entry is exercised by `.ci/run`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cliProcessArgs } from '../../src/shared/cli-process-args.ts';

export type RunResult = { code: number | null; stdout: string; stderr: string };

/** Runs a short command to completion. */
export function runLitecast(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliProcessArgs(args), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export type LongRunning = { child: ChildProcess; output(): string; exited: Promise<number | null> };

/** Starts a long-running command (worker, sandbox, api) and resolves once `readyText` appears in its output. */
export function startLitecast(args: string[], env: NodeJS.ProcessEnv, readyText: string, timeoutMs = 20_000): Promise<LongRunning> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliProcessArgs(args), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let ready = false;
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      if (!ready) {
        child.kill('SIGKILL');
        reject(new Error(`litecast ${args.join(' ')} not ready after ${timeoutMs} ms:\n${output}`));
      }
    }, timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (!ready && output.includes(readyText)) {
        ready = true;
        clearTimeout(timer);
        resolve({ child, output: () => output, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`litecast ${args.join(' ')} exited with ${code} before ready:\n${output}`));
      }
    });
  });
}
