import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    globalSetup: ['./test/helpers/temp-root.ts'],
    // the e2e suites share one store and boot VMs: run files one at a time
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 45 * 60_000,
  },
});
