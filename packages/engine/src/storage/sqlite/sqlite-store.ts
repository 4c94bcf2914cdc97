import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Repos, Store } from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations/index.js';
import { createSqliteRepos } from './sqlite-repos.js';

/**
 * The embedded default adapter: one SQLite file in WAL mode with synchronous=FULL, so a commit that
 * returned survives power loss. better-sqlite3 is synchronous; this class gives it the async port.
 *
 * One connection serves everything. A transaction holds it across awaits, so any other call that
 * arrives meanwhile waits for the transaction to end (otherwise it would read uncommitted rows).
 */
export class SqliteStore implements Store {
  declare readonly projects: Repos['projects'];
  declare readonly apiKeys: Repos['apiKeys'];
  declare readonly services: Repos['services'];
  declare readonly orchestrations: Repos['orchestrations'];
  declare readonly tasks: Repos['tasks'];
  declare readonly journal: Repos['journal'];
  declare readonly compensations: Repos['compensations'];
  declare readonly groundings: Repos['groundings'];
  declare readonly webhookEndpoints: Repos['webhookEndpoints'];
  declare readonly webhookDeliveries: Repos['webhookDeliveries'];
  private readonly db: Database.Database;
  private readonly txRepos: Repos;
  private queue: Promise<unknown> = Promise.resolve();
  private isInTransaction = false;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    const raw = createSqliteRepos(this.db);
    this.txRepos = raw;
    Object.assign(this, guardRepos(raw, (fn) => this.outside(fn)));
  }

  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      this.isInTransaction = true;
      try {
        const result = await fn(this.txRepos);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      } finally {
        this.isInTransaction = false;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Runs a call made outside any transaction: at once when the connection is free, else after the queue. */
  private outside<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.isInTransaction) return fn();
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  close(): Promise<void> {
    return this.queue.then(() => {
      if (this.db.open) this.db.close();
    });
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const known = Math.max(0, ...SQLITE_MIGRATIONS.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new Error(`database schema version ${newest} is newer than this engine knows (${known}); upgrade the engine`);
  }
  for (const m of SQLITE_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate();
  }
}

type Guard = <T>(fn: () => Promise<T>) => Promise<T>;

/** Wraps every repository method so that calls outside a transaction wait for an open one to end. */
function guardRepos(repos: Repos, guard: Guard): Repos {
  const wrap = <R extends object>(repo: R): R =>
    new Proxy(repo, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => guard(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
  return Object.fromEntries(Object.entries(repos).map(([name, repo]) => [name, wrap(repo as object)])) as unknown as Repos;
}
