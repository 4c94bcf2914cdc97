import Database from 'better-sqlite3';
import type { Repos, Store } from '../store.js';
import { DatabaseLock } from './database-lock.js';
import { SQLITE_MIGRATIONS } from './migrations/index.js';
import { preparePrivateFile } from './private-files.js';
import { createSqliteRepos } from './sqlite-repos.js';

/**
 * The embedded default adapter: one SQLite file in WAL mode with synchronous=FULL, so a commit that
 * returned survives power loss. better-sqlite3 is synchronous; this class gives it the async port.
 *
 * One connection serves everything. A transaction holds it across awaits, so any other call that
 * arrives meanwhile waits for the transaction to end (otherwise it would read uncommitted rows).
 * Transactions are group-committed (see `transaction`).
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
  declare readonly breakers: Repos['breakers'];
  declare readonly events: Repos['events'];
  declare readonly retention: Repos['retention'];
  declare readonly submissionKeys: Repos['submissionKeys'];
  declare readonly audit: Repos['audit'];
  declare readonly consoleSessions: Repos['consoleSessions'];
  declare readonly serviceHealth: Repos['serviceHealth'];
  declare readonly webhookStats: Repos['webhookStats'];
  private readonly db: Database.Database;
  private readonly lock: DatabaseLock | undefined;
  private readonly txRepos: Repos;
  /** Prepared once: `db.exec` parses its SQL on every call, and these run once or twice per transaction. */
  private readonly tx: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Database.Statement>;
  private queue: Promise<unknown> = Promise.resolve();
  private isInTransaction = false;
  private batch: { fn: (tx: Repos) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];

  /**
   * With `exclusive`, the store first takes the database's lock (see DatabaseLock) and holds it until
   * `close`: the engine opens its database so, and a second engine on the same file fails here, before
   * reading anything. Tests and tools that open several stores on one file leave it off.
   */
  constructor(path: string, options: { exclusive?: boolean } = {}) {
    if (path !== ':memory:') preparePrivateFile(path);
    this.lock = options.exclusive && path !== ':memory:' ? DatabaseLock.acquire(path) : undefined;
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // Statement journals (which SQLite opens for a statement that may have to be undone alone inside a
      // transaction: upserts, RETURNING, inserts checked by foreign keys…) and sort spills in memory, not in
      // a temporary file created and deleted per statement: that file cost ~25 µs of syscalls for each such
      // statement, more than the statement itself (bench/README.md, Webhooks). Their size is that of one
      // statement's changes or sort, and the engine's statements are small or batched (retention deletes in
      // bounded batches), so memory stays bounded.
      db.pragma('temp_store = MEMORY');
      migrate(db);
    } catch (err) {
      db?.close();
      this.lock?.release();
      throw err;
    }
    this.db = db;
    const st = (sql: string) => this.db.prepare(sql);
    this.tx = {
      begin: st('BEGIN IMMEDIATE'),
      commit: st('COMMIT'),
      rollback: st('ROLLBACK'),
      savepoint: st('SAVEPOINT unit'),
      release: st('RELEASE unit'),
      rollbackTo: st('ROLLBACK TO unit'),
    };
    const raw = createSqliteRepos(this.db);
    this.txRepos = raw;
    Object.assign(this, guardRepos(raw, (fn) => this.outside(fn)));
  }

  /**
   * Group commit: transactions requested in the same turn of the event loop run one after another inside
   * one SQLite transaction, each in its own savepoint (so each still commits or rolls back as a whole),
   * and all of them become durable with a single COMMIT — one fsync instead of one per transaction. A
   * caller's promise settles only after that COMMIT. Under load this is what keeps the engine from being
   * bound by fsync latency; an idle engine pays one `setImmediate` of delay.
   */
  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.batch.push({ fn: fn as (tx: Repos) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (this.batch.length === 1) {
        const flush = this.queue.then(() => new Promise<void>((r) => setImmediate(r))).then(() => this.flushBatch());
        this.queue = flush.catch(() => undefined);
      }
    });
  }

  private async flushBatch(): Promise<void> {
    const items = this.batch.splice(0);
    if (items.length === 0) return;
    const { tx } = this;
    // A lone transaction needs no savepoint: on failure the whole (one-unit) transaction rolls back.
    const isAlone = items.length === 1;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    tx.begin.run();
    this.isInTransaction = true;
    try {
      for (const item of items) {
        if (!isAlone) tx.savepoint.run();
        try {
          const value = await item.fn(this.txRepos);
          if (!isAlone) tx.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          if (isAlone) {
            if (this.db.inTransaction) tx.rollback.run();
          } else {
            tx.rollbackTo.run();
            tx.release.run();
          }
          outcomes.push({ ok: false, error });
        }
      }
      if (this.db.inTransaction) tx.commit.run();
    } catch (error) {
      if (this.db.inTransaction) tx.rollback.run();
      for (const item of items) item.reject(error);
      return;
    } finally {
      this.isInTransaction = false;
    }
    items.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
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
      this.lock?.release();
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
