/**
 * Child processes of the benchmark (workers, the sandbox, the raw HTTP peers, intake), their CPU
 * time, and their clean-up. Every child is tracked so a failed run stops exactly the processes it
 * started, by pid, and nothing else.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CounterReport } from './redis-command-counter.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The TypeScript entry: benchmarks run the sources through tsx (`--import tsx` before it).
export const LITECAST_BIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const COUNTER_MODULE = pathToFileURL(fileURLToPath(new URL('./redis-command-counter.ts', import.meta.url))).href;

/** Children started by this process and still running. */
const running = new Set<ChildProcess>();

export type RunningProcess = {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The last 64 KB of stdout and stderr together. */
  output(): string;
  /** The first match of the ready pattern. */
  ready: RegExpMatchArray;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
};

/**
 * Starts `node <args>` and resolves once its output matches `readyPattern`.
 * @param env the child's whole environment (nothing is inherited but what is passed).
 */
export function startNode(name: string, args: string[], env: NodeJS.ProcessEnv, readyPattern: RegExp, timeoutMs = 30_000): Promise<RunningProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    let ready: RegExpMatchArray | null = null;
    const exited = new Promise<number | null>((done) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        done(code ?? (signal ? -1 : null));
      }),
    );
    const timer = setTimeout(() => {
      if (ready) return;
      child.kill('SIGKILL');
      reject(new Error(`${name} not ready after ${timeoutMs} ms:\n${output.slice(-4_000)}`));
    }, timeoutMs);
    const onData = (data: Buffer) => {
      output = (output + data.toString()).slice(-65_536);
      if (ready) return;
      ready = readyPattern.exec(output);
      if (!ready) return;
      clearTimeout(timer);
      const handle: RunningProcess = {
        name,
        pid: child.pid ?? -1,
        child,
        output: () => output,
        ready,
        exited,
        stop: (stopTimeoutMs = 25_000) => stopProcess(child, exited, stopTimeoutMs),
      };
      resolve(handle);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then((code) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output.slice(-4_000)}`));
    });
  });
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(force);
  return code;
}

export type Finished = { code: number | null; stdout: string; stderr: string; wallMs: number };

/**
 * Runs `node <args>` to completion. `onStart` gets the pid (e.g. to sample /proc while it runs).
 * @param env the child's whole environment.
 */
export function runNode(args: string[], env: NodeJS.ProcessEnv, onStart?: (pid: number) => void): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-65_536)));
    child.once('error', reject);
    child.once('close', (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr, wallMs: performance.now() - started });
    });
    if (child.pid !== undefined) onStart?.(child.pid);
  });
}

/** Kills (SIGKILL, by pid) every child this process started that is still running. */
export function killAllChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** The environment litecast children need, and nothing else from ours. */
export function litecastEnv(redisUrl: string, namespace: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: redisUrl, LITECAST_NAMESPACE: namespace, LOG_LEVEL: 'info', ...extra };
}

export type WorkerProcess = RunningProcess & {
  /** The worker's own counters (Redis commands, round trips, CPU), read through SIGUSR2. */
  sample(): Promise<CounterReport>;
};

/**
 * Starts `count` real worker processes (`litecast worker`) and waits until all are taking jobs.
 * Each gets the Redis command counter preloaded; `nodeArgs` go to node (e.g. `--cpu-prof`).
 */
export async function startWorkers(count: number, env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): Promise<{ workers: WorkerProcess[]; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'litecast-bench-workers-'));
  const started = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      const file = path.join(dir, `worker-${i}.json`);
      const proc = await startNode(`worker ${i + 1}`, [...nodeArgs, '--import', 'tsx', '--import', COUNTER_MODULE, LITECAST_BIN, 'worker'], { ...env, BENCH_COUNTER_FILE: file }, /worker ready/);
      let seq = 0;
      const worker: WorkerProcess = {
        ...proc,
        async sample() {
          seq += 1;
          proc.child.kill('SIGUSR2');
          const deadline = Date.now() + 5_000;
          for (;;) {
            if (existsSync(file)) {
              const report = JSON.parse(readFileSync(file, 'utf8')) as CounterReport;
              if (report.seq >= seq) return report;
            }
            if (Date.now() > deadline) throw new Error(`${proc.name} did not report its counters`);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        },
      };
      return worker;
    }),
  );
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const close = async () => {
    const codes = await Promise.all(workers.map((w) => w.stop()));
    await rm(dir, { recursive: true, force: true });
    const bad = codes.filter((c) => c !== 0);
    if (bad.length > 0) throw new Error(`${bad.length} worker(s) did not drain and exit cleanly (exit codes ${codes.join(', ')})`);
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await close().catch(() => undefined);
    throw failed.reason;
  }
  return { workers, close };
}

let clockTicks: number | undefined;

/** User + system CPU seconds a process has used so far, from /proc (Linux only). */
export function cpuSecondsOf(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after it are positional.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** CPU seconds the whole machine has spent busy (all cores, every process), from /proc/stat. */
export function machineBusySeconds(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields.map(Number);
  return (user + nice + system + irq + softirq + steal) / clockTicks;
}
