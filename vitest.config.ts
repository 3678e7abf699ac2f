import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files start worker processes and assert per-second rates at the sandbox: run
    // them one at a time so one file's load does not become another file's timing jitter.
    fileParallelism: false,
  },
});
