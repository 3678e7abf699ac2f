/**
 * Runs the real `litecast` command line in this process (the same module `bin/litecast.js` loads)
 * and, as the process exits, writes its peak resident set size and run time to stderr as one line
 * `BENCH_RUSAGE {"maxRssKiB":…,"uptimeMs":…,…}`. The intake benchmark runs
 * `campaign create … --json` through it, so the peak covers the whole command, start to exit.
 *
 *   node --expose-gc --import tsx bench/intake-child.ts campaign create --channel … --recipients file.csv --json
 */
process.on('exit', () => {
  const usage = process.resourceUsage();
  // With --expose-gc: what the heap still holds once garbage is collected. A list kept in memory
  // would show here, whatever the GC's mood made the peak RSS.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const report = {
    maxRssKiB: usage.maxRSS,
    uptimeMs: Math.round(process.uptime() * 1000),
    cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
    heapUsedAfterGcKiB: gc ? Math.round(process.memoryUsage().heapUsed / 1024) : null,
  };
  process.stderr.write(`BENCH_RUSAGE ${JSON.stringify(report)}\n`);
});

await import('../src/cli/main.ts');
