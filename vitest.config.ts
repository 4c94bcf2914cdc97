import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Drops leftover PostgreSQL test schemas after a run with ORRA_TEST_DATABASE=postgres (no-op otherwise).
    globalSetup: [
      // Gives the run its own TMPDIR and fails it when a test leaves something there.
      'packages/engine/test/helpers/temp-dir-global-setup.ts',
      'packages/engine/test/helpers/postgres-global-setup.ts',
    ],
    // The JSON reports feed the plain "N passed, N failed" line that .ci/run prints; the PostgreSQL run
    // (scripts/run-postgres-tests.mjs) writes its own beside the main one.
    reporters: [
      'default',
      ['json', { outputFile: `test-results/vitest${process.env.ORRA_TEST_DATABASE === 'postgres' ? '-postgres' : ''}.json` }],
    ],
  },
});
