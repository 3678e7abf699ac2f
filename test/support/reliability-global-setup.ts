/**
 * vitest globalSetup of the `reliability` project (`npm run test:reliability`): once the scenarios
 * have run, RELIABILITY.md is rewritten from the figures they recorded, so the published table
 * always comes from the latest run and one command does both.
 */
import { existsSync } from 'node:fs';

/** Runs after every reliability test file: writes RELIABILITY.md when the run recorded figures. */
export async function teardown(): Promise<void> {
  if (!existsSync(new URL('../artifacts/reliability.ndjson', import.meta.url))) return;
  // write-reliability.ts is also a script of its own: importing it writes the file.
  await import('./write-reliability.ts');
}
