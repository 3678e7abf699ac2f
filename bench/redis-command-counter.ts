/**
 * Preloaded into benchmarked worker processes (`node --import tsx --import <this file> …`): counts
 * the Redis commands the process sends and the round trips they take, through ioredis, which
 * litecast, BullMQ and Bottleneck all use. Redis's own `INFO commandstats` also counts commands run
 * inside Lua scripts and cannot tell round trips apart; this counts what crosses the wire.
 *
 * On SIGUSR2 it writes its counters and `process.cpuUsage()` to `$BENCH_COUNTER_FILE` (atomically,
 * with a sequence number), so the benchmark can read them at the start and end of a measured run.
 * Nothing else in the worker changes.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';

export type CounterReport = {
  seq: number;
  /** Commands sent, by name (lower case); commands of a MULTI or pipeline are counted one by one. */
  commands: Record<string, number>;
  /** Writes to Redis that wait for an answer: one per command, one per pipeline or MULTI/EXEC block. */
  roundTrips: number;
  /** `process.cpuUsage()`: user and system CPU of this process, in microseconds. */
  cpu: { user: number; system: number };
};

const file = process.env.BENCH_COUNTER_FILE;
if (file) {
  const commands = new Map<string, number>();
  const pipelines = new WeakSet<object>();
  let roundTrips = 0;
  let seq = 0;

  // ioredis routes every command through sendCommand; a pipeline passes its own buffering stream,
  // flushed in a single write, so each distinct stream object is one round trip.
  type SendCommand = (this: Redis, command: { name: string }, stream?: { isPipeline?: boolean }, ...rest: unknown[]) => unknown;
  const proto = Redis.prototype as unknown as { sendCommand: SendCommand };
  const original = proto.sendCommand;
  proto.sendCommand = function (command, stream, ...rest) {
    const name = command.name.toLowerCase();
    commands.set(name, (commands.get(name) ?? 0) + 1);
    if (stream?.isPipeline) {
      if (!pipelines.has(stream)) {
        pipelines.add(stream);
        roundTrips += 1;
      }
    } else {
      roundTrips += 1;
    }
    return original.call(this, command, stream, ...rest);
  };

  process.on('SIGUSR2', () => {
    seq += 1;
    const report: CounterReport = { seq, commands: Object.fromEntries(commands), roundTrips, cpu: process.cpuUsage() };
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
  });
}
