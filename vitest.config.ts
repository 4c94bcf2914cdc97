import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report feeds the plain "N passed, N failed" line that .ci/run prints.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
