import { defineConfig } from 'vitest/config';

// Stryker runs one module at a time with only that module's tests (mutation/modules.mjs), named by
// mutation/run.mjs in ORRA_MUTATION_TESTS; running the whole suite per mutant would take days on 2 cores.
const tests = (process.env.ORRA_MUTATION_TESTS ?? '').split(',').filter(Boolean);
if (tests.length === 0) throw new Error('ORRA_MUTATION_TESTS names no test files (run npm run mutation)');

export default defineConfig({
  test: {
    include: tests,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['packages/engine/test/helpers/temp-dir-global-setup.ts'],
    reporters: ['default', './mutation/load-failure-reporter.mjs'],
  },
});
