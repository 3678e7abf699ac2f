/**
 * Section 4's figures (webhook-ingestion.ts measures): per run, each with the issue's target where
 * it has one.
 */
import { figure, type Figure } from './report.ts';
import type { WebhookResult } from './webhook-ingestion.ts';

/** The section's figures: per run (statuses per POST), each with the issue's target where it has one. */
export function webhookFigures(result: WebhookResult): Figure[] {
  const section = '4. webhook ingestion';
  const r1 = (v: number) => Math.round(v * 10) / 10;
  const r2 = (v: number) => Math.round(v * 100) / 100;
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const sendRate = result.sendRate.steadyRate;
  const figures: Figure[] = [
    figure({
      id: 'webhooks.send-rate',
      section,
      name: 'reference: peak send rate (the campaign the webhooks are about)',
      value: sendRate === null ? null : Math.round(sendRate),
      unit: 'msg/s',
      note: `steady rate of ${n(result.sendRate.messages)} messages on one channel limited to ${n(result.sendRate.mps)} msg/s (more than this machine sends), ${result.sendRate.workers} workers, default settings`,
    }),
  ];
  for (const run of result.runs) {
    const paced = run.pacedEventsPerSecond !== null;
    const id = `webhooks.b${run.statusesPerPost}${paced ? '.paced' : ''}`;
    const who = `${run.statusesPerPost} status${run.statusesPerPost === 1 ? '' : 'es'} per POST${paced ? `, paced at ${n(run.pacedEventsPerSecond ?? 0)} events/s` : ''}`;
    const shape = `${n(run.events)} statuses (sent, delivered, read for ${n(run.recipients)} recipients) in ${n(run.posts)} POSTs of ${n(run.bodyBytesMean)} bytes, ${run.connections} keep-alive connections${Object.keys(run.errors).length > 0 ? `; errors ${JSON.stringify(run.errors)}` : ''}`;
    const applied = `first POST to delivered and read counters complete: ${r1(run.appliedSeconds)} s (acknowledged in ${r1(run.ackSeconds)} s); ${n(run.eventsAppliedPerSecond / run.statusesPerPost)} POSTs/s; machine ${r1(run.machine.busyCores)} cores busy`;
    if (paced) {
      figures.push(
        figure({
          id: `${id}.applied-per-second`,
          section,
          name: `${who}: events applied per second`,
          value: Math.round(run.eventsAppliedPerSecond),
          unit: 'events/s',
          note: `kept up if close to the offered rate; ${applied}; ${shape}`,
        }),
        figure({
          id: `${id}.applied-vs-offered`,
          section,
          name: `${who}: events applied per second / offered`,
          value: r2(run.eventsAppliedPerSecond / (run.pacedEventsPerSecond ?? 1)),
          unit: '×',
          target: { op: '>=', value: 0.95 },
          note: 'applied at the rate 360dialog posts them, in steady state (the first POST to the last event applied)',
        }),
      );
    } else {
      figures.push(
        figure({
          id: `${id}.acked-per-second`,
          section,
          name: `${who}: events acknowledged per second`,
          value: Math.round(run.eventsAckedPerSecond),
          unit: 'events/s',
          target: { op: '>=', value: 10_000 },
          note: `${n(run.postsAckedPerSecond)} POSTs/s, as fast as acknowledged; ${shape}`,
        }),
        figure({ id: `${id}.applied-per-second`, section, name: `${who}: events applied per second`, value: Math.round(run.eventsAppliedPerSecond), unit: 'events/s', target: { op: '>=', value: 10_000 }, note: applied }),
        figure({ id: `${id}.applied-vs-acked`, section, name: `${who}: events applied / acknowledged per second`, value: r2(run.eventsAppliedPerSecond / run.eventsAckedPerSecond), unit: '×', target: { op: '>=', value: 0.95 }, note: 'applying keeps up with acknowledging (no backlog left when the last POST is answered)' }),
        ...(run.rawEventsPerSecond !== undefined
          ? [
              figure({ id: `${id}.raw`, section, name: `${who}: reference, raw loopback capacity (same generator → trivial node:http server)`, value: Math.round(run.rawEventsPerSecond), unit: 'events/s', note: `${run.connections} keep-alive connections, measured just before the run` }),
              figure({ id: `${id}.acked-vs-raw`, section, name: `${who}: events acknowledged / raw loopback capacity`, value: r2(run.eventsAckedPerSecond / run.rawEventsPerSecond), unit: '×', target: { op: '>=', value: 0.5 } }),
            ]
          : []),
        figure({
          id: `${id}.applied-vs-send-rate`,
          section,
          name: `${who}: events applied per second / peak send rate`,
          value: sendRate ? r2(run.eventsAppliedPerSecond / sendRate) : null,
          unit: '×',
          target: { op: '>=', value: 3 },
          note: 'three statuses (sent, delivered, read) per message sent',
        }),
      );
    }
    // At saturation a closed loop of N connections waits about N ÷ throughput per POST whatever
    // the receiver does: the target is judged in the paced run, below saturation.
    figures.push(
      figure({ id: `${id}.ack-p50`, section, name: `${who}: time to acknowledge a POST, p50`, value: r2(run.ackMs.p50), unit: 'ms' }),
      figure({
        id: `${id}.ack-p99`,
        section,
        name: `${who}: time to acknowledge a POST, p99`,
        value: r2(run.ackMs.p99),
        unit: 'ms',
        ...(paced ? { target: { op: '<=' as const, value: 50 } } : {}),
        note: `p90 ${r1(run.ackMs.p90)} ms, max ${r1(run.ackMs.max)} ms; per event the same (every POST carries ${run.statusesPerPost})${paced ? '' : `; at saturation, ${run.connections} POSTs always in flight, so about ${run.connections} ÷ POSTs/s (${r1((run.connections / run.postsAckedPerSecond) * 1000)} ms) by construction: the target is judged in the paced run`}`,
      }),
      figure({ id: `${id}.lag-p50`, section, name: `${who}: acknowledged to applied, p50 per event`, value: Math.round(run.lagMs.p50), unit: 'ms' }),
      figure({
        id: `${id}.lag-p99`,
        section,
        name: `${who}: acknowledged to applied, p99 per event`,
        value: Math.round(run.lagMs.p99),
        unit: 'ms',
        note: `max ${n(run.lagMs.max)} ms; from ${n(run.lagJobs)} samples of the stream every 20 ms (added → acknowledged by the consumer group)${paced ? '' : '; at saturation this is mostly the backlog of acknowledged events'}${run.retriedJobs > 0 ? `; ${run.retriedJobs} jobs retried` : ''}`,
      }),
      figure({
        id: `${id}.cpu-api`,
        section,
        name: `${who}: CPU per event, API process`,
        value: run.cpuMicrosPerEvent.api,
        unit: 'µs',
        note: `${n(run.cpuMicrosPerEvent.api * run.statusesPerPost)} µs per POST; the load generator used ${run.cpuMicrosPerEvent.generator} µs per event of the same cores`,
      }),
      figure({ id: `${id}.cpu-workers`, section, name: `${who}: CPU per event, workers (applying)`, value: run.cpuMicrosPerEvent.workers, unit: 'µs' }),
      figure({
        id: `${id}.cpu-redis`,
        section,
        name: `${who}: CPU per event, Redis`,
        value: run.cpuMicrosPerEvent.redis,
        unit: 'µs',
        note: `server-wide, other clients' ${n(run.redisBackground.commandsPerSecond)} commands/s (${run.redisBackground.cpuPercent}% of a core) just before included; commands per POST: ${Object.entries(run.redisCallsPerPost)
          .slice(0, 6)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      }),
    );
  }
  return figures;
}
