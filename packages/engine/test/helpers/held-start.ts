import pg from 'pg';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { EngineProcess } from './engine-process.js';
import { postgresEnv, prepareSchema, schemaForDataDir, TEST_DATABASE_URL } from './test-database.js';
import { waitFor } from './wait-for.js';

/** An engine process caught between binding its port and serving; `release` lets it finish starting. */
export interface HeldStart {
  engine: EngineProcess;
  /** Resolves once the engine serves (after `release`). */
  started: Promise<EngineProcess>;
  release(): Promise<void>;
}

/**
 * Starts an engine on the data dir's PostgreSQL schema (whatever the test run's store) and holds it in
 * its start-up: joining the cluster is the first step of resuming, and while another session holds a
 * lock on `engine_nodes` the engine waits there, its port already bound. Resolves once the engine answers
 * 503 (its first answer). Needs a reachable PostgreSQL server.
 */
export async function startHeld(port: number, dataDir: string): Promise<HeldStart> {
  const schema = schemaForDataDir(dataDir);
  await prepareSchema(dataDir);
  await (await PostgresStore.open({ url: TEST_DATABASE_URL, schema })).close(); // the table to lock exists
  const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${schema}.engine_nodes IN ACCESS EXCLUSIVE MODE`);
  const engine = new EngineProcess(port, dataDir, postgresEnv(dataDir));
  const started = engine.start(60_000); // it waits for the lock
  started.catch(() => undefined); // a failed start is the caller's to see, through `started`
  try {
    await waitFor(async () => (await fetch(`${engine.url}/health`)).status === 503, {
      what: 'the starting engine to answer 503',
      timeoutMs: 30_000,
    });
  } catch (err) {
    await holder.end();
    await engine.kill();
    throw err;
  }
  return {
    engine,
    started,
    release: async () => {
      await holder.query('COMMIT');
      await holder.end();
    },
  };
}
