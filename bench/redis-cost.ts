/**
 * Section 5: what one message sent costs Redis, from the throughput run (section 2).
 *
 * Two views, because they answer different questions:
 * - Redis's own count (`INFO commandstats`): every command executed, those called by Lua scripts
 *   included. This is Redis's work; it is server-wide, so other clients' commands during the run
 *   are counted too (the background measured just before is shown).
 * - The workers' count (ioredis, preloaded counter): what crossed the wire. Round trips are what
 *   a worker waits for; a MULTI/EXEC block or pipeline is one round trip. `EVALSHA` calls are the
 *   Lua scripts: litecast's ledger (claim, commit) and Bottleneck's limiter (3 per scheduled job).
 */
import { figure, type Figure } from './report.ts';
import { backgroundLoad, backgroundNote, type ThroughputResult } from './throughput.ts';

export function redisCostFigures(result: ThroughputResult): Figure[] {
  const section = '5. Redis cost';
  const n = result.messages;
  const { server, client } = result.redis;
  const perMessage = (count: number) => Math.round((count / n) * 100) / 100;
  const top = (calls: Record<string, number>) =>
    Object.entries(calls)
      .slice(0, 6)
      .map(([name, count]) => `${name} ${perMessage(count)}`)
      .join(', ');
  return [
    figure({
      id: 'redis.commands-per-message',
      section,
      name: 'Redis commands executed per message (Lua-internal included)',
      value: perMessage(server.commandCalls),
      unit: '',
      note: `${top(server.calls)}; net of other clients' load ≈ ${perMessage(Math.max(0, server.commandCalls - backgroundLoad(result).commandsPerSecond * server.seconds))}; ${backgroundNote(result)}`,
    }),
    figure({ id: 'redis.evalsha-per-message', section, name: 'EVALSHA (Lua script calls) per message', value: perMessage(server.calls.evalsha ?? 0), unit: '' }),
    figure({
      id: 'redis.client-commands-per-message',
      section,
      name: 'commands sent by the workers per message',
      value: perMessage(client.commandCount),
      unit: '',
      note: top(client.commands),
    }),
    figure({ id: 'redis.round-trips-per-message', section, name: 'Redis round trips per message (workers)', value: perMessage(client.roundTrips), unit: '' }),
  ];
}

/** Per-message breakdowns for results.json. */
export function redisCostDetails(result: ThroughputResult): Record<string, unknown> {
  const n = result.messages;
  const perMessage = (calls: Record<string, number>) => Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, Math.round((v / n) * 1000) / 1000]));
  return {
    messages: n,
    background: result.redis.background,
    serverCallsPerMessage: perMessage(result.redis.server.calls),
    serverTotalCommands: result.redis.server.totalCommands,
    serverCpuMicrosPerMessage: Math.round((result.redis.server.cpuSeconds * 1e6) / n),
    /** Time Redis spent per message in each command; EVALSHA's includes the commands its scripts call. */
    serverUsecPerMessage: perMessage(result.redis.server.usec),
    clientCommandsPerMessage: perMessage(result.redis.client.commands),
    clientRoundTrips: result.redis.client.roundTrips,
  };
}
