import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * The storage floor of one durable step, measured in the benchmark's process: a small row inserted and
 * committed on its own, on SQLite in WAL mode with `synchronous=FULL` (the engine's settings, so every
 * commit is an fsync of the WAL), or on PostgreSQL (one autocommitted INSERT, a round trip and a WAL
 * flush). Keeps its file or table open between calls, so a benchmark can interleave batches with its
 * own measures; `close` removes what it created.
 */
export interface CommitProbe {
  /** Times `count` commits, in ms each. */
  measure(count: number): Promise<number[]>;
  close(): Promise<void>;
}

export async function openCommitProbe(databaseUrl: string | undefined): Promise<CommitProbe> {
  if (databaseUrl) return openPostgresProbe(databaseUrl);
  const dir = mkdtempSync(join(tmpdir(), 'orra-bench-commit-'));
  const db = new Database(join(dir, 'probe.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE probe (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO probe (body) VALUES (?)');
  const body = 'x'.repeat(200);
  return {
    async measure(count) {
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        insert.run(body); // autocommit: one transaction, one WAL fsync
        samples.push(performance.now() - start);
      }
      return samples;
    },
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgresProbe(databaseUrl: string): Promise<CommitProbe> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const table = `orra_bench_commit_${process.pid}`;
  await client.query(`CREATE TABLE ${table} (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)`);
  const body = 'x'.repeat(200);
  return {
    async measure(count) {
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        await client.query({ name: 'probe', text: `INSERT INTO ${table} (body) VALUES ($1)`, values: [body] });
        samples.push(performance.now() - start);
      }
      return samples;
    },
    async close() {
      await client.query(`DROP TABLE IF EXISTS ${table}`).finally(() => client.end());
    },
  };
}
