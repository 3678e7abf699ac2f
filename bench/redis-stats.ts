/**
 * What Redis says about its own work: `INFO commandstats` (calls per command, commands run by Lua
 * scripts included), `INFO cpu` and `INFO stats`, snapshotted before and after a measured run.
 * These are server-wide: anything else using the same Redis at the same time is counted too, so a
 * run also measures the background rate just before it starts.
 */
import type { Redis } from 'ioredis';

/** Parses an `INFO` answer into field → value. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

export type RedisSnapshot = {
  at: number;
  /** Server CPU seconds (user + sys, main thread and background threads). */
  cpuSeconds: number;
  /** Commands processed, including those called from Lua scripts. */
  totalCommands: number;
  /** Calls per command name (lower case), from `INFO commandstats`. */
  calls: Record<string, number>;
  /** Microseconds Redis spent in each command (a script's time is its EVALSHA's, inner calls included). */
  usec: Record<string, number>;
};

export async function snapshotRedis(redis: Redis): Promise<RedisSnapshot> {
  // One round trip, so the three views describe the same instant.
  const [cpuText, statsText, commandText] = (await redis.multi().info('cpu').info('stats').info('commandstats').exec())?.map(([, v]) => String(v)) ?? ['', '', ''];
  const cpu = parseInfo(cpuText ?? '');
  const stats = parseInfo(statsText ?? '');
  const calls: Record<string, number> = {};
  const usec: Record<string, number> = {};
  for (const [field, value] of Object.entries(parseInfo(commandText ?? ''))) {
    const match = /calls=(\d+),usec=(\d+)/.exec(value);
    if (!field.startsWith('cmdstat_') || !match) continue;
    calls[field.slice('cmdstat_'.length)] = Number(match[1]);
    usec[field.slice('cmdstat_'.length)] = Number(match[2]);
  }
  return {
    at: Date.now(),
    cpuSeconds: Number(cpu.used_cpu_user ?? 0) + Number(cpu.used_cpu_sys ?? 0),
    totalCommands: Number(stats.total_commands_processed ?? 0),
    calls,
    usec,
  };
}

export type RedisDelta = {
  seconds: number;
  cpuSeconds: number;
  totalCommands: number;
  /** Calls per command during the interval, largest first. */
  calls: Record<string, number>;
  /** Sum of `calls`. */
  commandCalls: number;
  /** Microseconds spent per top-level command name (EVALSHA includes its scripts' inner calls), largest first. */
  usec: Record<string, number>;
};

/** What happened between two snapshots. The snapshot commands themselves (MULTI, INFO ×3, EXEC) are left out. */
export function diffRedis(before: RedisSnapshot, after: RedisSnapshot): RedisDelta {
  const calls: Record<string, number> = {};
  for (const [name, count] of Object.entries(after.calls)) {
    let delta = count - (before.calls[name] ?? 0);
    if (name === 'info') delta -= 3;
    if (name === 'multi' || name === 'exec') delta -= 1;
    if (delta > 0) calls[name] = delta;
  }
  const sorted = Object.fromEntries(Object.entries(calls).sort((a, b) => b[1] - a[1]));
  const usec = Object.fromEntries(
    Object.entries(after.usec)
      .map(([name, us]) => [name, us - (before.usec[name] ?? 0)] as const)
      .filter(([, us]) => us > 0)
      .sort((a, b) => b[1] - a[1]),
  );
  return {
    seconds: (after.at - before.at) / 1000,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    totalCommands: after.totalCommands - before.totalCommands - 5,
    calls: sorted,
    commandCalls: Object.values(sorted).reduce((a, b) => a + b, 0),
    usec,
  };
}

/** Commands per second that other users of this Redis were running just now (sampled over `ms`). */
export async function measureBackground(redis: Redis, ms = 1_000): Promise<{ commandsPerSecond: number; cpuPercent: number }> {
  const before = await snapshotRedis(redis);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const delta = diffRedis(before, await snapshotRedis(redis));
  return { commandsPerSecond: Math.round(delta.commandCalls / delta.seconds), cpuPercent: Math.round((delta.cpuSeconds / delta.seconds) * 1000) / 10 };
}
