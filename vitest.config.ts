import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files share one Redis and spawn worker processes; two cores do not gain from more.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
