import type pg from 'pg';
import type { Migration } from '../sqlite/migrations/migration.js';

/**
 * Brings the schema up to date. Several engine processes may start at once against one database, so
 * everything happens in one transaction holding an advisory lock keyed by the schema name: the first
 * process applies the migrations, the others wait for it and then find nothing left to do. The lock is
 * transaction-scoped, so a process that dies mid-way releases it with its connection.
 */
export async function migratePostgres(client: pg.ClientBase, schema: string, migrations: readonly Migration[]): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('orra-migrations'), hashtext($1))", [schema]);
    // Created only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the
    // database, which an operator may have withheld after creating the schema for us.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.schema_migrations
         (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
    );
    const applied = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${quoteIdent(schema)}.schema_migrations`)).rows.map(
        (r) => r.version,
      ),
    );
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new Error(`database schema version ${newest} is newer than this engine knows (${known}); upgrade the engine`);
    }
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      // The pool's connections already have search_path = schema, so migration SQL names tables bare.
      await client.query(m.sql);
      await client.query(`INSERT INTO ${quoteIdent(schema)}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [
        m.version,
        m.name,
        Date.now(),
      ]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Config validation already limits schema names to plain identifiers; quoting keeps any case exact. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
