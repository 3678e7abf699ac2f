/**
 * `run(argv, io)` must be cheap to import: the worker (BullMQ's Worker, Bottleneck), the sandbox,
 * the API server and the demo are loaded by `import()` inside the commands that need them. This
 * walks the static import graph from src/cli/run.ts and checks none of them is reached.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
// Static `import … from '…'` and `export … from '…'`, not `import('…')`; `import type` is erased.
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gmu;

function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = match[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(resolve(SRC, entry));
  return { files, packages };
}

describe('CLI import graph', () => {
  const { files, packages } = staticGraph('cli/run.ts');
  const relative = [...files].map((file) => file.slice(SRC.length + 1));

  it('reaches every command group', () => {
    for (const group of ['channel', 'campaign', 'worker', 'api', 'sandbox', 'demo']) expect(relative).toContain(`cli/commands/${group}.ts`);
  });

  it('does not load the worker, the sandbox, the API server or the demo statically', () => {
    expect(relative.filter((file) => /^(worker|sandbox|api)\//u.test(file) || file === 'cli/demo.ts')).toEqual([]);
    expect(packages).not.toContain('bottleneck');
    expect(packages).not.toContain('fastify');
  });

  it('the process entry point only calls run', () => {
    expect(relative).not.toContain('cli/main.ts');
    expect([...staticGraph('cli/main.ts').files].map((file) => file.slice(SRC.length + 1))).toContain('cli/run.ts');
  });
});

describe('importing run', () => {
  it('has no side effect on the process: no signal handlers, nothing run', async () => {
    const signals = () => process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');
    const before = signals();
    const module = await import('../../src/cli/run.ts');
    expect(signals()).toBe(before);
    expect(Object.keys(module).sort()).toEqual(['buildProgram', 'run']);
  });
});
