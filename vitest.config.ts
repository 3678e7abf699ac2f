import { defineConfig } from 'vitest/config';

// Four projects: `npm test` runs unit + integration; the long reliability scenarios
// (`npm run test:reliability`) and the browser test (`npm run test:browser`, needs Chromium) run
// on their own. Every project inherits the timeouts below (`extends: true`).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // Unit tests first, in parallel: they touch no shared process and finish in seconds.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ['test/integration/reliability.test.ts'],
          // Integration files start worker processes and assert per-second rates at the sandbox:
          // run them one at a time, after the unit tests, so one file's load does not become
          // another file's timing jitter.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/integration/reliability.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          // Writes RELIABILITY.md from the figures the scenarios recorded.
          globalSetup: ['test/support/reliability-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'browser', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 3 } },
      },
    ],
  },
});
