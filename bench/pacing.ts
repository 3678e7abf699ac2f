/**
 * Section 7 (issue 14): pacing in conditions like the real API's, litecast beside the naive peer
 * (naive-peer.ts) in the same run, on the same sandbox settings, one fresh channel per run. The
 * sandbox answers after a realistic latency; rows: clean, a 5% fault mix, a usable rate below the
 * configured one (inbound traffic takes the rest: the excess is answered 130429), and 300 ms of
 * latency at 80 msg/s (1 worker) and 1,000 msg/s (2 workers).
 *
 * Per run: the time from creating the campaign (or enqueueing the jobs) to the last outcome, the
 * steady rate over the limit (or the usable rate), the busiest sliding second of accepted messages
 * and of requests, the share of requests refused with 130429, and duplicates.
 */
import { randomBytes } from 'node:crypto';
import { runNaivePeer } from './naive-peer.ts';
import { openPipeline } from './pipeline.ts';
import { litecastEnv, startWorkers } from './processes.ts';
import { figure, type Figure } from './report.ts';
import { sandboxConfig, startSandbox } from './sandbox-process.ts';
import { analyzeTimeline } from './send-timeline.ts';
import type { SandboxConfigInput } from '../src/sandbox/index.ts';

type Row = {
  id: string;
  name: string;
  mps: number;
  /** The rate the number can actually take (mps − inbound). */
  usable: number;
  recipients: number;
  workers: number;
  latency: { distribution: 'uniform' | 'lognormal'; minMs: number; maxMs: number };
  /** Fault rules for the channel (by its key). */
  faults?: (apiKey: string) => unknown[];
  target: number;
};

const REALISTIC = { distribution: 'lognormal', minMs: 150, maxMs: 600 } as const;
const AROUND_300 = { distribution: 'uniform', minMs: 200, maxMs: 400 } as const;

const FAULT_MIX = (apiKey: string) => [
  { channel: apiKey, rate: 0.01, effect: { type: 'http', status: 500 } },
  { channel: apiKey, rate: 0.0101, effect: { type: 'error', code: 130429 } },
  { channel: apiKey, rate: 0.0102, effect: { type: 'error', code: 131056 } },
  { channel: apiKey, rate: 0.0103, effect: { type: 'd360-rate-limit', retryAfterSeconds: 0, shape: 'object', httpStatus: 400 } },
  { channel: apiKey, rate: 0.0104, effect: { type: 'error', code: 131026 } },
];

export function pacingRows(quick: boolean): Row[] {
  const k = quick ? 0.4 : 1;
  return [
    { id: 'clean', name: 'clean, 200 msg/s', mps: 200, usable: 200, recipients: Math.round(3000 * k), workers: 2, latency: REALISTIC, target: 0.97 },
    { id: 'faults', name: '5% fault mix, 200 msg/s', mps: 200, usable: 200, recipients: Math.round(3000 * k), workers: 2, latency: REALISTIC, faults: FAULT_MIX, target: 0.85 },
    { id: 'usable', name: 'usable 150 of 200 msg/s', mps: 200, usable: 150, recipients: Math.round(3000 * k), workers: 2, latency: REALISTIC, target: 0.9 },
    { id: 'lat80', name: '300 ms, 80 msg/s, 1 worker', mps: 80, usable: 80, recipients: Math.round(1200 * k), workers: 1, latency: AROUND_300, target: 0.97 },
    { id: 'lat1000', name: '300 ms, 1,000 msg/s, 2 workers', mps: 1000, usable: 1000, recipients: Math.round(6000 * k), workers: 2, latency: AROUND_300, target: 0.95 },
  ];
}

export type PacingRun = {
  row: string;
  who: 'litecast' | 'naive';
  wallSeconds: number;
  steadyRate: number | null;
  ratio: number | null;
  maxAcceptedInAnySecond: number;
  maxRequestsInAnySecond: number;
  requests: number;
  accepted: number;
  refused130429: number;
  refusedShare: number;
  duplicates: number;
  perSecond: number[];
};

async function oneRun(redisUrl: string, row: Row, who: 'litecast' | 'naive'): Promise<PacingRun> {
  const apiKey = `bench-${randomBytes(6).toString('hex')}`;
  const phoneNumberId = String(300_000_000_000_000 + Math.floor(Math.random() * 1e9));
  const config: SandboxConfigInput = {
    ...sandboxConfig([{ apiKey, phoneNumberId, mps: row.mps }]),
    channels: [{ apiKey, phoneNumberId, mps: row.mps, inboundMps: row.mps - row.usable }],
    latency: row.latency,
    faults: (row.faults?.(apiKey) ?? []) as never,
    seed: 14,
  };
  const sandbox = await startSandbox(config);
  let wallSeconds: number;
  try {
    if (who === 'litecast') {
      const pipeline = await openPipeline(redisUrl, `pacing-${row.id}`);
      try {
        await pipeline.addChannel('pace', sandbox.url, apiKey, row.mps);
        const pool = await startWorkers(row.workers, litecastEnv(redisUrl, pipeline.namespace));
        try {
          const started = Date.now();
          const id = await pipeline.createCampaign('pace', row.recipients);
          await pipeline.waitForCompletion([id], 60_000 + (row.recipients / (row.usable * 0.3)) * 1000, 100);
          wallSeconds = (Date.now() - started) / 1000;
        } finally {
          await pool.close();
        }
      } finally {
        await pipeline.close();
      }
    } else {
      const peer = await runNaivePeer({ redisUrl, sandboxUrl: sandbox.url, apiKey, mps: row.mps, count: row.recipients, workers: row.workers, prefix: `bench-naive-${randomBytes(4).toString('hex')}` });
      wallSeconds = peer.wallSeconds;
    }
    const stats = await sandbox.stats();
    const messages = await sandbox.messages();
    const timeline = analyzeTimeline(messages.map((m) => m.acceptedAt));
    const channel = stats.perChannel[phoneNumberId];
    const unique = new Set(messages.map((m) => m.to)).size;
    const refused = stats.rejectedByCode['130429'] ?? 0;
    return {
      row: row.id,
      who,
      wallSeconds,
      steadyRate: timeline.steadyRate,
      ratio: timeline.steadyRate === null ? null : timeline.steadyRate / row.usable,
      maxAcceptedInAnySecond: timeline.maxInAnySecond,
      maxRequestsInAnySecond: channel?.maxRequestsInAnySecond ?? 0,
      requests: stats.requests,
      accepted: stats.accepted,
      refused130429: refused,
      refusedShare: stats.requests > 0 ? refused / stats.requests : 0,
      duplicates: messages.length - unique,
      perSecond: timeline.perSecond,
    };
  } finally {
    await sandbox.close();
  }
}

/** Runs every row for litecast, then for the naive peer, and returns the figures and the runs. */
export async function measurePacing(options: { redisUrl: string; quick: boolean; log?: (line: string) => void }): Promise<{ figures: Figure[]; runs: PacingRun[] }> {
  const runs: PacingRun[] = [];
  const rows = pacingRows(options.quick);
  for (const row of rows) {
    for (const who of ['litecast', 'naive'] as const) {
      options.log?.(`7. pacing: ${row.name}, ${who}…`);
      runs.push(await oneRun(options.redisUrl, row, who));
    }
  }
  return { figures: pacingFigures(rows, runs), runs };
}

function pacingFigures(rows: readonly Row[], runs: readonly PacingRun[]): Figure[] {
  const section = '7. pacing (issue 14)';
  const figures: Figure[] = [];
  for (const row of rows) {
    const ours = runs.find((r) => r.row === row.id && r.who === 'litecast');
    const peer = runs.find((r) => r.row === row.id && r.who === 'naive');
    if (!ours || !peer) continue;
    const over = row.usable === row.mps ? 'limit' : 'usable rate';
    figures.push(
      figure({
        id: `pacing.${row.id}.ratio`,
        section,
        name: `${row.name}: steady rate / ${over}`,
        value: ours.ratio === null ? null : Math.round(ours.ratio * 1000) / 10,
        unit: '%',
        target: { op: '>=', value: row.target * 100 },
        note: `${ours.wallSeconds.toFixed(1)} s for ${row.recipients} (naive peer: ${peer.wallSeconds.toFixed(1)} s, ${peer.ratio === null ? '-' : (peer.ratio * 100).toFixed(1)} %)`,
      }),
      figure({
        id: `pacing.${row.id}.max-second`,
        section,
        name: `${row.name}: busiest second of requests`,
        value: ours.maxRequestsInAnySecond,
        unit: 'req',
        target: { op: '<=', value: row.mps },
        note: `accepted ${ours.maxAcceptedInAnySecond}; naive peer: ${peer.maxRequestsInAnySecond} requests, ${peer.maxAcceptedInAnySecond} accepted`,
      }),
      figure({
        id: `pacing.${row.id}.refused`,
        section,
        name: `${row.name}: share of requests refused 130429`,
        value: Math.round(ours.refusedShare * 1000) / 10,
        unit: '%',
        ...(row.id === 'usable' ? { target: { op: '<=' as const, value: 2 } } : {}),
        note: `${ours.refused130429} of ${ours.requests}; naive peer: ${peer.refused130429} of ${peer.requests}; duplicates ${ours.duplicates} (peer ${peer.duplicates})`,
      }),
    );
  }
  return figures;
}

/** The README table: one row per situation, litecast and the peer side by side. */
export function formatPacingTable(rows: readonly Row[], runs: readonly PacingRun[]): string {
  const cell = (r: PacingRun | undefined) =>
    r ? `${r.wallSeconds.toFixed(1)} s · ${r.ratio === null ? '-' : r.ratio.toFixed(2)} · ${r.maxRequestsInAnySecond}/${r.maxAcceptedInAnySecond} · ${(r.refusedShare * 100).toFixed(1)} %` : '-';
  const lines = ['| situation | litecast | naive peer |', '|---|---|---|'];
  for (const row of rows) lines.push(`| ${row.name} (${row.recipients}) | ${cell(runs.find((r) => r.row === row.id && r.who === 'litecast'))} | ${cell(runs.find((r) => r.row === row.id && r.who === 'naive'))} |`);
  return lines.join('\n');
}
