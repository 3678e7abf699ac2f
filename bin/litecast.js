#!/usr/bin/env node
// Entry for the `litecast` command: loads the TypeScript sources through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
