// Runs the engine's integration tests a second time with PostgreSQL storage (ORRA_TEST_DATABASE=postgres),
// when a PostgreSQL server answers at 127.0.0.1:5432 (or ORRA_TEST_DATABASE_URL). Writes its vitest
// report to test-results/vitest-postgres.json, which .ci/summary.mjs adds to the main run's.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Socket } from 'node:net';
import process from 'node:process';
import pg from 'pg';

const REPORT = 'test-results/vitest-postgres.json';
// A stale report from an earlier run must not be counted as this run's.
rmSync(REPORT, { force: true });

const reachable = await new Promise((resolve) => {
  const socket = new Socket();
  const done = (ok) => {
    socket.destroy();
    resolve(ok);
  };
  socket.setTimeout(1000, () => done(false));
  socket.once('error', () => done(false));
  socket.connect(5432, '127.0.0.1', () => done(true));
});
if (!process.env.ORRA_TEST_DATABASE_URL && !reachable) {
  console.log('test:postgres: no PostgreSQL server at 127.0.0.1:5432; skipping the PostgreSQL run');
  process.exit(0);
}

/** The first URL whose role can log in (trust auth): root on CI machines, postgres on a stock install. */
async function pickUrl() {
  if (process.env.ORRA_TEST_DATABASE_URL) return process.env.ORRA_TEST_DATABASE_URL;
  const errors = [];
  for (const user of ['root', 'postgres']) {
    const url = `postgres://${user}@127.0.0.1:5432/test`;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return url;
    } catch (err) {
      errors.push(`${url}: ${err.message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`cannot log in to PostgreSQL for the tests:\n  ${errors.join('\n  ')}`);
}

const url = await pickUrl();
console.log(`test:postgres: engine integration tests on ${url}`);
const child = spawn(
  'npx',
  // vitest.config.ts sends the JSON report of a run with ORRA_TEST_DATABASE=postgres to REPORT.
  ['vitest', 'run', 'packages/engine/test'],
  { stdio: 'inherit', env: { ...process.env, ORRA_TEST_DATABASE: 'postgres', ORRA_TEST_DATABASE_URL: url } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
