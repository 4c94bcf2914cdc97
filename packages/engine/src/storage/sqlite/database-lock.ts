import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { preparePrivateFile } from './private-files.js';

/** Who holds a database, as the holder wrote it down when it took the lock. */
export interface LockHolder {
  pid: number;
  host: string;
  since: number;
}

/** Another engine process has the database open. */
export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';

  constructor(
    readonly path: string,
    readonly holder: LockHolder | undefined,
  ) {
    const who = holder
      ? `pid ${holder.pid} on ${holder.host}, since ${new Date(holder.since).toISOString()}`
      : 'a process that has not written its pid yet';
    super(`${path} is in use by another engine process (${who})`);
  }
}

/**
 * One engine process per SQLite database. Two engines on one file would each resume the other's
 * in-flight orchestrations and compensations, so the second must refuse to start before it reads any.
 *
 * The lock is an OS-level one, so nothing stale can outlive its holder: a small SQLite database beside
 * the engine's (`engine.db-lock`), in WAL mode, in which the holder keeps a write transaction open for as
 * long as it runs. SQLite takes the WAL write lock with fcntl() on `engine.db-lock-shm`, which the kernel
 * drops when the process ends however it ends (kill -9 included), and which SQLite also enforces between
 * connections of one process. In WAL mode a reader is not blocked by that transaction, so a process that
 * finds the lock taken can still read who holds it: the holder commits its pid, host and start time
 * first, then takes the lock for good. (A pid file alone cannot tell a live holder from a dead one whose
 * pid was reused.) Leaving the files behind is harmless; deleting them while an engine runs is not.
 */
export class DatabaseLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock of the database at `path`, or throws DatabaseInUseError naming the holder. */
  static acquire(path: string, now: () => number = Date.now): DatabaseLock {
    const lockPath = `${path}-lock`;
    preparePrivateFile(lockPath);
    // No busy wait: a taken lock means another engine, and it is not about to let go.
    const db = new Database(lockPath, { timeout: 0 });
    try {
      db.pragma('journal_mode = WAL');
      // The holder row is a note for others to read, not data to keep: it needs no fsync (which a busy
      // disk makes slow), and the lock itself is the kernel's.
      db.pragma('synchronous = OFF');
      db.exec(
        'CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, since INTEGER NOT NULL)',
      );
      db.exec('BEGIN IMMEDIATE');
      db.prepare('INSERT OR REPLACE INTO holder (id, pid, host, since) VALUES (1, ?, ?, ?)').run(
        process.pid,
        hostname(),
        now(),
      );
      db.exec('COMMIT');
      // Another process may take the lock between that COMMIT and this BEGIN; then it is the holder, and
      // its pid (committed the same way) is the one a loser reads.
      db.exec('BEGIN IMMEDIATE');
      return new DatabaseLock(db);
    } catch (err) {
      const holder = isBusy(err) ? readHolder(db) : undefined;
      db.close();
      if (isBusy(err)) throw new DatabaseInUseError(path, holder);
      throw err;
    }
  }

  /** Lets go of the lock (ending the transaction that holds it). */
  release(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function readHolder(db: Database.Database): LockHolder | undefined {
  try {
    if (db.inTransaction) db.exec('ROLLBACK');
    return db.prepare('SELECT pid, host, since FROM holder WHERE id = 1').get() as LockHolder | undefined;
  } catch {
    return undefined; // the holder has not created the table yet
  }
}
