/**
 * The Redis Cluster for section 6: a local three-master cluster started by the test suite's own
 * script (`test/support/redis-cluster.sh`), on ports of its own (7111–7113 by default, not the
 * tests' 7101–7103, so a cluster someone's test run is using is never touched) and a data
 * directory of its own. It is stopped afterwards only if this run started it; an existing cluster
 * can be given instead with `--cluster-url`, and is then left alone.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { ROOT } from './processes.ts';

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, 'test', 'support', 'redis-cluster.sh');

export type BenchCluster = { url: string; startedHere: boolean; ports: number[]; stop(): Promise<void> };

/** The cluster this process started and has not stopped yet (for the clean-up on a failed run). */
let started: BenchCluster | undefined;

async function answers(port: number): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 2_000 });
    return stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

async function clusterOk(port: number): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: 2_000 });
    return stdout.includes('cluster_state:ok');
  } catch {
    return false;
  }
}

export async function startBenchCluster(ports: readonly number[] = [7111, 7112, 7113]): Promise<BenchCluster> {
  const env = { ...process.env, LITECAST_CLUSTER_PORTS: ports.join(' '), LITECAST_CLUSTER_DIR: `/tmp/litecast-bench-cluster-${ports[0]}` };
  // Something already on these ports is not ours: a healthy cluster is used as it is (the script
  // reuses it), anything else is refused (the script would shut it down to start over).
  const before = await Promise.all(ports.map(answers));
  if (before.some(Boolean) && !(await clusterOk(ports[0] ?? 0))) {
    throw new Error(`ports ${ports.join(', ')} are in use by something that is not a healthy Redis Cluster; give --cluster-url or free them`);
  }
  const { stdout } = await run('bash', [SCRIPT, 'start'], { env, timeout: 60_000 });
  const url = stdout.trim().split('\n').pop() ?? '';
  if (!url.startsWith('redis+cluster://')) throw new Error(`redis-cluster.sh start printed ${JSON.stringify(stdout)}`);
  const startedHere = !before.some(Boolean);
  const cluster: BenchCluster = {
    url,
    startedHere,
    ports: [...ports],
    async stop() {
      if (!startedHere) return;
      await run('bash', [SCRIPT, 'stop'], { env, timeout: 30_000 });
      await rm(env.LITECAST_CLUSTER_DIR, { recursive: true, force: true });
      if (started === cluster) started = undefined;
    },
  };
  if (startedHere) started = cluster;
  return cluster;
}

/** Stops the cluster this process started, if it is still running (after a failure or Ctrl-C). */
export async function stopStartedCluster(): Promise<void> {
  await started?.stop().catch(() => undefined);
}
