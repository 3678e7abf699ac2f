import { defineConfig } from 'vitest/config';

// Five projects: `npm test` runs unit + integration; the long end-to-end scenarios (the
// 10,000-recipient pipeline, worker crashes) and the fault scenarios behind RELIABILITY.md
// (`npm run test:reliability` runs both) and the browser test (`npm run test:browser`, needs
// Chromium) run on their own. Every project inherits the timeouts below (`extends: true`).
/** End-to-end runs of a minute or so each: in `npm run test:reliability`, not in `npm test`. */
const LONG_SCENARIOS = ['test/integration/campaign-pipeline.test.ts', 'test/integration/worker-crash.test.ts'];

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
          exclude: ['test/integration/reliability.test.ts', ...LONG_SCENARIOS],
          // Integration files start worker processes and assert per-second rates at the sandbox:
          // run them one at a time, after the unit tests, so one file's load does not become
          // another file's timing jitter.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: { name: 'scenarios', include: LONG_SCENARIOS, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
      {
        extends: true,
        test: {
          name: 'reliability',
          include: ['test/integration/reliability.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 3 },
          // Writes RELIABILITY.md from the figures the scenarios recorded.
          globalSetup: ['test/support/reliability-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'browser', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 4 } },
      },
    ],
  },
});
