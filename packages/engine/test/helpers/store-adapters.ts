import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../../src/storage/store.js';
import { adminQuery, dropSchema, TEST_DATABASE_URL, uniqueSchema } from './test-database.js';

/** One database of one adapter, for the storage contract tests. */
export interface TestDatabase {
  /** Opens (another) store on this database; closed by `dispose`. */
  open(): Promise<Store>;
  /** Runs SQL directly on the database, outside the store (set-up of odd states only). */
  exec(sql: string): Promise<void>;
  /** Table name → column names, read from the database's catalogue. */
  columns(): Promise<Record<string, string[]>>;
  dispose(): Promise<void>;
}

export interface StoreAdapter {
  name: 'sqlite' | 'postgres';
  create(): TestDatabase;
}

export const SQLITE: StoreAdapter = {
  name: 'sqlite',
  create() {
    const dir = mkdtempSync(join(tmpdir(), 'orra-contract-'));
    const path = join(dir, 'engine.db');
    const stores: Store[] = [];
    const withDb = <T>(fn: (db: Database.Database) => T): T => {
      const db = new Database(path);
      try {
        return fn(db);
      } finally {
        db.close();
      }
    };
    return {
      open: async () => {
        const store = new SqliteStore(path);
        stores.push(store);
        return store;
      },
      exec: async (sql) => withDb((db) => void db.exec(sql)),
      columns: async () =>
        withDb((db) => {
          const tables = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .all() as {
            name: string;
          }[];
          return Object.fromEntries(
            tables.map(({ name }) => [
              name,
              (db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).map((c) => c.name),
            ]),
          );
        }),
      dispose: async () => {
        for (const s of stores) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const POSTGRES: StoreAdapter = {
  name: 'postgres',
  create() {
    const schema = uniqueSchema('contract');
    const stores: Store[] = [];
    return {
      open: async () => {
        const store = await PostgresStore.open({ url: TEST_DATABASE_URL, schema });
        stores.push(store);
        return store;
      },
      exec: async (sql) => void (await adminQuery(`SET search_path = ${schema}; ${sql}`)),
      columns: async () => {
        const { rows } = await adminQuery(
          'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 ORDER BY ordinal_position',
          [schema],
        );
        const out: Record<string, string[]> = {};
        for (const r of rows as { table_name: string; column_name: string }[])
          (out[r.table_name] ??= []).push(r.column_name);
        return out;
      },
      dispose: async () => {
        for (const s of stores) await s.close();
        await dropSchema(schema);
      },
    };
  },
};
