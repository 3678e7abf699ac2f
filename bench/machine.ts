/**
 * The machine a run was measured on. Absolute figures only mean something next to this: the
 * machine is shared, so the load average at the start is recorded as well.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { parseInfo } from './redis-stats.ts';

export type MachineInfo = {
  cores: number;
  cpuModel: string;
  cpuMHz: number | null;
  memoryGiB: number;
  os: string;
  node: string;
  redis: string;
  redisUrl: string;
  /** 1, 5 and 15 minute load averages when the run started (other users of the machine). */
  loadAverageAtStart: number[];
  /** The code measured: the commit, and the files that differed from it (others work in the same tree). */
  code: { commit: string | null; uncommitted: string[] };
};

/** Reads the commit and the uncommitted files under src/ (git is only read, never written). */
function describeCode(root: string): MachineInfo['code'] {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const uncommitted = git('status', '--porcelain', '--', 'src', 'bin', 'package.json')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.slice(3));
    return { commit: git('rev-parse', '--short', 'HEAD').trim(), uncommitted };
  } catch {
    return { commit: null, uncommitted: [] };
  }
}

export async function describeMachine(redis: Redis, redisUrl: string, root: string): Promise<MachineInfo> {
  const cpus = os.cpus();
  const server = parseInfo(await redis.info('server'));
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuMHz: cpus[0]?.speed || null,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: server.redis_version ?? 'unknown',
    redisUrl: redisUrl.replace(/\/\/[^@/]*@/, '//***@'),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    code: describeCode(root),
  };
}

export function formatMachine(m: MachineInfo): string {
  const code = m.code.commit ? `; code ${m.code.commit}${m.code.uncommitted.length > 0 ? ` + ${m.code.uncommitted.length} uncommitted file(s)` : ''}` : '';
  return `${m.cores} cores (${m.cpuModel}${m.cpuMHz ? `, ${m.cpuMHz} MHz` : ''}), ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; Redis ${m.redis}; load average at start ${m.loadAverageAtStart.join(' / ')}${code}`;
}
