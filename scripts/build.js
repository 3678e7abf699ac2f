// `npm run build`: compiles src/ to dist/ and copies every non-TypeScript file of src/ (the Lua
// scripts, which modules load relative to themselves) next to the compiled modules. dist/ is
// emptied first so a module renamed or removed in src/ cannot linger in the published package.
//
// `--prepare` (the `prepare` script, which npm runs on every install of this package, including
// `npm ci --omit=dev` in the Docker image): without TypeScript installed, keep the dist/ that is
// already there rather than fail, since a production install has no compiler and needs none.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = `${root}src`;
const dist = `${root}dist`;

function resolveCompiler() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

const tsc = resolveCompiler();
if (tsc === undefined) {
  if (process.argv.includes('--prepare') && existsSync(`${dist}/cli/main.js`)) {
    console.log('litecast: TypeScript is not installed (a production install); using the dist/ already built');
    process.exit(0);
  }
  console.error('litecast: TypeScript is not installed; run `npm install` (with dev dependencies) to build');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
// Directories pass the filter so their assets are reached; .ts files are tsc's job.
cpSync(src, dist, { recursive: true, filter: (path) => !path.endsWith('.ts') });
