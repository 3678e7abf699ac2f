/**
 * How this copy of litecast starts its own command line in a child process (the demo's workers,
 * the tests' CLI runs). Compiled code (dist/, what `npm install` and the Docker image run) starts
 * the compiled entry with plain node; the TypeScript sources (tests, benchmarks, `npm run dev`)
 * start the TypeScript entry through tsx, a dev dependency, so a test never runs a stale build.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Node arguments that run `litecast <args…>` from the same tree (src/ or dist/) as this module. */
export function cliProcessArgs(args: readonly string[]): string[] {
  // rewriteRelativeImportExtensions rewrites import specifiers only, not URLs: pick the extension here.
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(fromSources ? '../cli/main.ts' : '../cli/main.js', import.meta.url));
  if (!fromSources) return [entry, ...args];
  // Resolved from this file, so the child finds tsx whatever its working directory.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, entry, ...args];
}
