/**
 * The sandbox (litecast's stand-in for 360dialog) for a benchmark scenario. By default it runs in
 * its own process (`litecast sandbox`), as the real API would be somewhere else: it gets its own
 * share of the cores, its CPU time can be read apart, and the benchmark's own work (polling,
 * analysis) cannot delay its answers. `inProcess` runs it inside the benchmark instead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSandbox, type AcceptedMessage, type SandboxConfigInput, type SandboxStats } from '../src/sandbox/index.ts';
import { LITECAST_BIN, startNode } from './processes.ts';

/** The template every benchmark campaign sends: two body parameters, like the intake CSV's columns. */
export const BENCH_TEMPLATE = { name: 'bench_promo', language: 'en' } as const;
export const BENCH_COMPONENTS = [{ type: 'body', parameters: [{ type: 'text', text: '{{name}}' }, { type: 'text', text: '{{code}}' }] }];

export type BenchSandbox = {
  url: string;
  /** The sandbox's process id (this process's when it runs in-process). */
  pid: number;
  stats(): Promise<SandboxStats>;
  /** Accepted messages (payloads are not recorded), in order of acceptance. */
  messages(): Promise<AcceptedMessage[]>;
  close(): Promise<void>;
};

/** Sandbox settings for a benchmark: the channels given, the bench template, no payload recording, no webhooks. */
export function sandboxConfig(channels: Array<{ apiKey: string; mps: number; phoneNumberId?: string }>): SandboxConfigInput {
  return {
    channels,
    templates: [{ name: BENCH_TEMPLATE.name, language: BENCH_TEMPLATE.language, category: 'MARKETING', bodyParams: 2 }],
    recordPayloads: false,
  };
}

export async function startSandbox(config: SandboxConfigInput, options: { inProcess?: boolean } = {}): Promise<BenchSandbox> {
  if (options.inProcess) {
    const sandbox = await createSandbox({ port: 0, config });
    return { url: sandbox.url, pid: process.pid, stats: async () => sandbox.stats(), messages: async () => sandbox.messages(), close: () => sandbox.close() };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'litecast-bench-sandbox-'));
  const file = path.join(dir, 'sandbox.json');
  await writeFile(file, JSON.stringify(config));
  const proc = await startNode('sandbox', ['--import', 'tsx', LITECAST_BIN, 'sandbox', '--port', '0', '--config', file], { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' }, /sandbox listening on (http:\/\/\S+)/);
  const url = proc.ready[1] as string;
  const getJson = async <T>(route: string): Promise<T> => {
    const response = await fetch(`${url}${route}`);
    if (!response.ok) throw new Error(`sandbox ${route}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    url,
    pid: proc.pid,
    stats: () => getJson<SandboxStats>('/_sandbox/stats'),
    async messages() {
      const all: AcceptedMessage[] = [];
      for (;;) {
        const page = await getJson<{ messages: AcceptedMessage[]; next: number }>(`/_sandbox/messages?since=${all.length}`);
        if (page.messages.length === 0) return all;
        for (const m of page.messages) all.push(m);
      }
    },
    async close() {
      await proc.stop(5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
