#!/usr/bin/env node
// Entry for the `litecast` command: runs the compiled modules in dist/ (`npm run build`, which
// `npm install` of a clone runs through the `prepare` script). No TypeScript is compiled at start.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('litecast: dist/ is missing; run `npm run build` (or `npm install`, which builds) first');
  process.exit(1);
}
await import(main.href);
