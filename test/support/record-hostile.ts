/**
 * Records what a hostile-input or fault test observed, for RELIABILITY.md: one NDJSON line per
 * case in test/artifacts/hostile-input.ndjson (newest run of each case wins), which
 * test/support/write-reliability.ts turns into rows of its tables.
 */
import { appendFile, mkdir } from 'node:fs/promises';

export type HostileRow = { table: 'hostile' | 'fault'; where: string; input: string; result: string };

const target = new URL('../artifacts/hostile-input.ndjson', import.meta.url);

/** Appends one observed case. */
export async function recordHostile(row: HostileRow): Promise<void> {
  await mkdir(new URL('.', target), { recursive: true });
  await appendFile(target, `${JSON.stringify({ ...row, at: new Date().toISOString() })}\n`);
}
