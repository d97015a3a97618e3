import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Tests start real processes and sockets; 2-core CI machines need headroom, not retries.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test time is waiting on simulator processes and sockets, not CPU: two files at once
    // halve the suite's time on a 2-core machine (measured: 6m06s with one, 3m17s with two).
    maxWorkers: 2,
    reporters: ['default'],
  },
});
