import { createHash } from 'node:crypto';
import { Socket } from 'node:net';
import pg from 'pg';

/**
 * Where PostgreSQL tests run: the machine's server (trust auth). `ORRA_TEST_DATABASE_URL` overrides it;
 * scripts/run-postgres-tests.mjs sets it to a role that exists.
 */
export const TEST_DATABASE_URL = process.env.ORRA_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

/** True when the engine integration tests should run on PostgreSQL (`ORRA_TEST_DATABASE=postgres`). */
export const isPostgresRun = process.env.ORRA_TEST_DATABASE === 'postgres';

/** Every schema a test makes starts with this, so leftovers are easy to find (and drop). */
export const TEST_SCHEMA_PREFIX = 'orra_test_';

/** True when something accepts TCP connections at the test database's address. */
export async function isPostgresReachable(): Promise<boolean> {
  const { hostname, port } = new URL(TEST_DATABASE_URL);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port || 5432), hostname, () => done(true));
  });
}

/**
 * The schema of an engine's data dir: derived from the path, so an engine restarted on the same data
 * dir (the crash tests) finds its data again, and two engines on one dir share it, as they share a
 * SQLite file.
 */
export function schemaForDataDir(dataDir: string): string {
  return TEST_SCHEMA_PREFIX + createHash('sha256').update(dataDir).digest('hex').slice(0, 20);
}

/** A fresh schema name, for tests that open stores directly. */
export function uniqueSchema(label: string): string {
  return `${TEST_SCHEMA_PREFIX}${label}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

/** The engine environment that puts a data dir's storage on PostgreSQL. */
export function postgresEnv(dataDir: string): Record<string, string> {
  return { ORRA_DATABASE_URL: TEST_DATABASE_URL, ORRA_DATABASE_SCHEMA: schemaForDataDir(dataDir) };
}

/** Runs one statement on a short-lived connection (test set-up and clean-up only). */
export async function adminQuery(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it. Only names made by this module are accepted. */
export async function dropSchema(schema: string): Promise<void> {
  if (!schema.startsWith(TEST_SCHEMA_PREFIX) || !/^[a-z0-9_]+$/.test(schema))
    throw new Error(`not a test schema: ${schema}`);
  await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/**
 * Creates the data dir's schema ahead of the engine and notes the data dir on it: the suite's global
 * teardown drops every test schema whose data dir is gone (the crash tests delete only their dirs).
 */
export async function prepareSchema(dataDir: string): Promise<void> {
  const schema = schemaForDataDir(dataDir);
  await adminQuery(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch(async (err: unknown) => {
    // Two engines sharing a data dir may race to create it; the loser finds it there.
    if ((await adminQuery('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 0)
      throw err;
  });
  await adminQuery(`COMMENT ON SCHEMA ${schema} IS ${pg.escapeLiteral(`orra-test-data-dir:${dataDir}`)}`);
}

/** Drops the test schemas whose data dir no longer exists (left by tests that only delete their dir). */
export async function dropOrphanSchemas(exists: (path: string) => boolean): Promise<number> {
  const { rows } = await adminQuery(
    `SELECT n.nspname AS schema, obj_description(n.oid, 'pg_namespace') AS note FROM pg_namespace n
     WHERE n.nspname LIKE $1`,
    [`${TEST_SCHEMA_PREFIX}%`],
  );
  let dropped = 0;
  for (const { schema, note } of rows as { schema: string; note: string | null }[]) {
    const dir = note?.startsWith('orra-test-data-dir:')
      ? note.slice('orra-test-data-dir:'.length)
      : undefined;
    if (dir === undefined || exists(dir)) continue;
    await dropSchema(schema);
    dropped++;
  }
  return dropped;
}
