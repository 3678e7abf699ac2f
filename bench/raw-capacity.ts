/**
 * Section 2's reference: the raw loopback capacity of this machine for litecast's kind of traffic.
 * A trivial keep-alive `node:http` client posts the very payload a worker would send to a trivial
 * `node:http` server, each in its own process (as workers and the sandbox are), measured in the
 * same run as the pipeline it is compared with.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeCallbackData } from '../src/dialog360/callback-data.ts';
import { buildLitePayload } from '../src/dialog360/build-payload.ts';
import { renderComponents } from '../src/shared/template-components.ts';
import { recipientLine } from './pipeline.ts';
import { runNode, startNode } from './processes.ts';
import { BENCH_COMPONENTS, BENCH_TEMPLATE } from './sandbox-process.ts';

const PEER = fileURLToPath(new URL('./raw-http-peer.ts', import.meta.url));

export type RawCapacity = {
  requestsPerSecond: number;
  /** Each measurement the figure averages (the machine is shared: one before and one after the pipeline). */
  samples: number[];
  concurrency: number;
  payloadBytes: number;
  /** CPU per request of the trivial client and server: the floor for HTTP cost in the pipeline. */
  clientCpuMicrosPerRequest: number;
  serverCpuMicrosPerRequest: number;
};

/** The JSON body a worker posts to `/marketing_messages` for a typical generated recipient. */
export function typicalPayload(): string {
  const [phone = '', name = '', code = ''] = recipientLine(123_456).split(',');
  return JSON.stringify(
    buildLitePayload({
      to: phone,
      template: { name: BENCH_TEMPLATE.name, language: BENCH_TEMPLATE.language, components: renderComponents(BENCH_COMPONENTS, { name, code }) },
      callbackData: encodeCallbackData('cm3x9k2ab4f7e1d0c9', phone),
      ttlSeconds: 43_200,
    }),
  );
}

export async function measureRawCapacity(options: { concurrency: number; warmupMs: number; measureMs: number }): Promise<RawCapacity> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'litecast-bench-raw-'));
  const payloadFile = path.join(dir, 'payload.json');
  const payload = typicalPayload();
  await writeFile(payloadFile, payload);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const server = await startNode('raw server', ['--import', 'tsx', PEER, 'server'], env, /raw server listening on (\d+)/);
  try {
    const url = `http://127.0.0.1:${server.ready[1]}`;
    const run = await runNode(['--import', 'tsx', PEER, 'client', url, String(options.concurrency), String(options.warmupMs), String(options.measureMs), payloadFile], env);
    if (run.code !== 0) throw new Error(`raw client failed (${run.code}): ${run.stderr.slice(-2_000)}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { requests: number; perSecond: number; clientCpuSeconds: number; serverCpuSeconds: number };
    return {
      requestsPerSecond: result.perSecond,
      samples: [result.perSecond],
      concurrency: options.concurrency,
      payloadBytes: Buffer.byteLength(payload),
      clientCpuMicrosPerRequest: (result.clientCpuSeconds * 1e6) / result.requests,
      serverCpuMicrosPerRequest: (result.serverCpuSeconds * 1e6) / result.requests,
    };
  } finally {
    await server.stop(5_000);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The mean of several measurements, so load that comes and goes weighs less on the reference. */
export function combineRawCapacity(runs: readonly RawCapacity[]): RawCapacity {
  const mean = (pick: (r: RawCapacity) => number) => runs.reduce((a, r) => a + pick(r), 0) / runs.length;
  const first = runs[0];
  if (!first) throw new Error('no raw capacity measurement');
  return {
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    samples: runs.flatMap((r) => r.samples),
    concurrency: first.concurrency,
    payloadBytes: first.payloadBytes,
    clientCpuMicrosPerRequest: mean((r) => r.clientCpuMicrosPerRequest),
    serverCpuMicrosPerRequest: mean((r) => r.serverCpuMicrosPerRequest),
  };
}
