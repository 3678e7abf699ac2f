/**
 * What the benchmark produces: figures (a measured value, its unit, an optional target and whether
 * the target was met), the printed table, and `bench/results.json`.
 */
import { rename, writeFile } from 'node:fs/promises';
import type { MachineInfo } from './machine.ts';

/** `info`: a figure reported for context, with no target of its own. */
export type Verdict = 'pass' | 'miss' | 'info' | 'not measured';

export type Target = { op: '>=' | '<=' | '=='; value: number };

export type Figure = {
  /** Stable key for comparisons across runs, e.g. `rate.1000mps.w2.ratio`. */
  id: string;
  /** Section of the benchmark (1–5, as in issue 6). */
  section: string;
  name: string;
  value: number | null;
  unit: string;
  target: Target | null;
  verdict: Verdict;
  /** Why a figure could not be measured, or what to read it with. */
  note?: string;
};

/** Builds a figure, judging it against its target (no target: `info`; no value: `not measured`). */
export function figure(spec: { id: string; section: string; name: string; value: number | null; unit: string; target?: Target; note?: string }): Figure {
  const target = spec.target ?? null;
  let verdict: Verdict;
  if (spec.value === null || !Number.isFinite(spec.value)) verdict = 'not measured';
  else if (target === null) verdict = 'info';
  else verdict = meets(spec.value, target) ? 'pass' : 'miss';
  return {
    id: spec.id,
    section: spec.section,
    name: spec.name,
    value: spec.value !== null && Number.isFinite(spec.value) ? spec.value : null,
    unit: spec.unit,
    target,
    verdict,
    ...(spec.note !== undefined ? { note: spec.note } : {}),
  };
}

function meets(value: number, target: Target): boolean {
  switch (target.op) {
    case '>=':
      return value >= target.value;
    case '<=':
      return value <= target.value;
    case '==':
      return value === target.value;
  }
}

/** A whole run: the figures, the machine, and raw details per section for whoever digs deeper. */
export type BenchResults = {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  mode: 'full' | 'quick';
  machine: MachineInfo;
  figures: Figure[];
  details: Record<string, unknown>;
};

/** Writes the results atomically (a half-written file would mislead the next reader). */
export async function writeResults(path: string, results: BenchResults): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, path);
}

/** Formats a number for the table: thousands separators, sensible decimals. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs === 0 || Number.isInteger(value) ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatValue(value: number | null, unit: string): string {
  if (value === null) return 'not measured yet';
  // Percentages are judged to a hundredth: 96.96 must not print as a missed "97.0".
  if (unit === '%') return `${value.toFixed(2)} %`;
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

function formatTarget(target: Target | null, unit: string): string {
  if (target === null) return '-';
  const op = target.op === '>=' ? '≥' : target.op === '<=' ? '≤' : '=';
  return `${op} ${formatValue(target.value, unit)}`;
}

/** The table: one row per figure (name, measured, target, pass/miss), grouped by section. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [f.name, formatValue(f.value, f.unit), formatTarget(f.target, f.unit), f.verdict === 'info' ? '' : f.verdict]);
  const header = ['figure', 'measured', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  ')];
  let section = '';
  figures.forEach((f, i) => {
    if (f.section !== section) {
      if (section !== '') out.push('');
      section = f.section;
      out.push(`[${section}]`);
    }
    out.push(line(rows[i] ?? []));
  });
  return out.join('\n');
}

/** One line per figure that missed its target, for the end of the output. */
export function summarize(figures: readonly Figure[]): string {
  const count = (v: Verdict) => figures.filter((f) => f.verdict === v).length;
  const missed = figures.filter((f) => f.verdict === 'miss');
  const lines = [`${count('pass')} passed, ${count('miss')} missed, ${count('not measured')} not measured, ${count('info')} for information`];
  for (const f of missed) lines.push(`  missed: ${f.name}: ${formatValue(f.value, f.unit)} (target ${formatTarget(f.target, f.unit)})`);
  return lines.join('\n');
}
