import pg from 'pg';
import { newNodeId } from '../../cluster/node-id.js';
import type { Logger } from '../../logging/logger.js';
import type { Repos, Store } from '../store.js';
import { migratePostgres } from './migrate-postgres.js';
import { notifyChannelFor } from './notify-channel.js';
import { POSTGRES_MIGRATIONS } from './migrations/index.js';
import { createPostgresRepos } from './postgres-repos.js';
import { pipelinedQueryable, poolQueryable } from './queryable.js';
import { TransactionBatcher, type BatchUnit } from './transaction-batcher.js';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database…` */
  url: string;
  /** Every table lives in this schema; it is created when missing and is the only one on search_path. */
  schema: string;
  /** Connections kept open at most (pg's default is 10). */
  poolSize?: number;
  /**
   * This process's id among the engines sharing the database. Every connection carries it as the
   * `orra.node` setting, which the ownership columns default to (migration 0005), so work a process
   * creates is owned by it without another statement.
   */
  nodeId?: string;
  log?: Pick<Logger, 'warn' | 'debug'>;
}

/** SQLSTATEs after which a transaction can simply run again: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
/**
 * Conflicts are expected, not exceptional: every transaction that appends to a project's event log
 * updates that project's counter row, so concurrent ones conflict (REPEATABLE READ) and all but one run
 * again. Each conflict means another transaction committed, so retrying makes progress; the backoff
 * (random, growing to 200 ms) spreads the losers out.
 */
const MAX_TRANSACTION_ATTEMPTS = 30;
/**
 * A transaction that lost a conflict on a project's event-log counter runs again holding a session
 * advisory lock per such project, taken BEFORE its BEGIN: its snapshot then starts after the previous
 * holder committed, so it cannot lose on that counter to another retry (under REPEATABLE READ a lock taken
 * inside the transaction would come too late: the snapshot is taken by the statement that waits). First
 * attempts take no lock, so the common uncontended case costs no extra round trip.
 */
const LOCK_EVENT_LOG = "SELECT pg_advisory_lock(hashtextextended('orra-event-log:' || current_schema() || ':' || $1, 0))";
const isConflict = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && RETRYABLE.has(code);
};
const conflictBackoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 5 * 2 ** attempt)));
/**
 * A unique violation may come from a concurrent insert committed after this transaction looked for the
 * row ("add unless it exists"): run once more, and it sees the row, as it would have on SQLite. A second
 * violation is a real duplicate.
 */
const UNIQUE_VIOLATION = '23505';
const INT8_OID = 20;

/**
 * The PostgreSQL adapter. Calls outside a transaction go to the pool (any free connection, one
 * statement each); `transaction(fn)` runs BEGIN … COMMIT on one checked-out connection, group-committed
 * with the other transactions requested in the same turn when the store is busy (`TransactionBatcher`).
 *
 * SQLite runs transactions one at a time; here they run concurrently at REPEATABLE READ: every read in
 * one sees the same snapshot (a view assembled from several reads is consistent), and a transaction that
 * writes a row another one changed since its snapshot fails with a serialization error instead of
 * overwriting it (a read-check-write such as "resolve a pending failure" cannot lose an update). Such a
 * transaction, or one picked as a deadlock victim, is run again from the start, and a batch that fails
 * runs each of its transactions again on its own; so `fn` must touch storage only through `tx` and keep
 * no other effects until it returns (every transaction body in the engine is so).
 */
export class PostgresStore implements Store {
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
  private isClosed = false;
  /** Projects whose event-log counter lost a conflict lately, and until when (see NeedsEventLogLock). */
  private readonly hot = new Map<string, number>();
  private readonly batcher: TransactionBatcher<Repos>;

  private constructor(
    /** The pool, for the scale-out machinery (cluster/) that speaks SQL of its own. */
    readonly pool: pg.Pool,
    readonly nodeId: string,
    private readonly log: PostgresStoreOptions['log'],
  ) {
    Object.assign(this, createPostgresRepos(poolQueryable(pool)));
    // Leave connections for calls made outside transactions (reads, the dispatcher's scans).
    this.batcher = new TransactionBatcher((units) => this.runBatch(units), Math.max(1, pool.options.max - 2));
  }

  /** Connects, applies pending migrations (once, even when several processes start together), and returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const nodeId = options.nodeId ?? newNodeId();
    if (!/^[A-Za-z0-9_-]+$/.test(nodeId)) throw new Error(`storage: node id ${JSON.stringify(nodeId)} must be letters, digits, _ or -`);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // How operators tell the engine's sessions apart in pg_stat_activity (a URL parameter overrides it).
      application_name: 'orra-engine',
      // Set in the start-up packet: no extra round trip, and no connection ever runs on another schema.
      options: `-c search_path=${options.schema} -c orra.node=${nodeId} -c orra.channel=${notifyChannelFor(options.schema)}`,
      // Epoch milliseconds and counts are BIGINT; they fit a double exactly (below 2^53), so read numbers.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle connection that breaks (server restart) emits here; without a listener the process would crash.
    pool.on('error', (err) => options.log?.warn({ err }, 'idle PostgreSQL connection failed'));
    try {
      const client = await pool.connect();
      let broken: Error | undefined;
      const onError = (err: Error) => (broken = err); // it also fails the query in progress
      client.on('error', onError);
      try {
        await migratePostgres(client, options.schema, POSTGRES_MIGRATIONS);
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresStore(pool, nodeId, options.log);
  }

  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    if (this.isClosed) return Promise.reject(new Error('storage: store is closed'));
    return this.batcher.submit(fn);
  }

  /**
   * Runs a batch in one transaction. If any unit fails (its own error, or a conflict), the batch rolls
   * back and every unit runs again on its own, so a unit fails only by itself. Only a broken connection
   * fails the whole batch: whether its COMMIT happened is then unknown, so nothing may run twice.
   */
  private async runBatch(units: BatchUnit<Repos>[]): Promise<void> {
    if (units.length === 1) return settle(units[0]!, this.runAlone(units[0]!.fn));
    // A batch that lost a conflict runs again whole: split into units running side by side, its units
    // would conflict with each other (they often append to the same project's event log).
    const locks = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(async (tx) => {
        const values: unknown[] = [];
        for (const unit of units) values.push(await unit.fn(tx));
        return values;
      }, locks);
      if (outcome.ok) return units.forEach((u, i) => u.resolve(outcome.value[i]));
      if (outcome.isBroken) return units.forEach((u) => u.reject(outcome.error));
      if (outcome.error instanceof NeedsEventLogLock) {
        locks.add(outcome.error.projectId);
        continue;
      }
      if (!isConflict(outcome.error) || attempt >= MAX_TRANSACTION_ATTEMPTS) break;
      this.markHot(outcome.sequenced);
      // A conflict on an event-log counter: run again at once under its lock (waiting for the lock is the
      // pause; a random sleep on top only added latency). Any other conflict: back off.
      if (!addLocks(locks, outcome.sequenced)) await conflictBackoff(attempt);
    }
    await Promise.all(units.map((u) => settle(u, this.runAlone(u.fn))));
  }

  /** One transaction on its own, run again after a serialization failure or deadlock. */
  private async runAlone<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    const locks = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(fn, locks);
      if (outcome.ok) return outcome.value;
      if (outcome.error instanceof NeedsEventLogLock) {
        locks.add(outcome.error.projectId);
        continue;
      }
      if (isConflict(outcome.error)) this.markHot(outcome.sequenced);
      const isNewLock = addLocks(locks, outcome.sequenced);
      const code = (outcome.error as { code?: unknown }).code;
      const isRetryable = isConflict(outcome.error) || (code === UNIQUE_VIOLATION && attempt === 1);
      if (outcome.isBroken || !isRetryable || attempt >= MAX_TRANSACTION_ATTEMPTS) throw outcome.error;
      this.log?.debug({ code, attempt }, 'transaction conflicted with another; running it again');
      if (!isNewLock) await conflictBackoff(attempt);
    }
  }

  /** BEGIN … COMMIT on one pooled connection; a failure rolls back and is returned, not thrown. */
  private async attempt<T>(fn: (tx: Repos) => Promise<T>, locks: ReadonlySet<string> = new Set()): Promise<Attempt<T>> {
    const sequenced = new Set<string>();
    if (this.isClosed) return { ok: false, error: new Error('storage: store is closed'), isBroken: false, sequenced };
    const client = await this.pool.connect();
    let isOpen = true;
    let broken: Error | undefined;
    let isLocked = false;
    // The pool listens for errors only on idle connections; a checked-out one that breaks while `fn`
    // awaits something else would otherwise emit an unhandled 'error' and end the process.
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      // Sorted, so two retries locking the same projects never wait on each other in a cycle.
      for (const projectId of [...locks].sort()) {
        isLocked = true;
        await client.query(LOCK_EVENT_LOG, [projectId]);
      }
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      client.removeListener('error', onError);
      client.release(broken);
      return { ok: false, error, isBroken: false, sequenced };
    }
    // Pipeline mode while the transaction is open (see pipelinedQueryable); off again before release, so
    // the connection goes back to the pool as it came.
    setPipeline(client, true);
    const tx = pipelinedQueryable(client, () => isOpen);
    try {
      void tx.exec('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const value = await fn(
        createPostgresRepos(tx, (p) => {
          if (!locks.has(p) && this.isHot(p)) throw new NeedsEventLogLock(p);
          sequenced.add(p);
        }),
      );
      const commit = tx.query('COMMIT');
      const failure = await tx.settle();
      if (failure) throw failure.error;
      // A COMMIT of a transaction that failed answers ROLLBACK; every error is in `failure`, so this is a guard.
      if ((await commit).command !== 'COMMIT') throw new Error('storage: transaction rolled back at COMMIT');
      return { ok: true, value };
    } catch (thrown) {
      // The statement that aborted the transaction, rather than a later one that failed because of it (a
      // conflict must be reported as one, to be run again).
      const error = (await tx.settle())?.error ?? thrown;
      broken ??= await rollback(client);
      return { ok: false, error, isBroken: broken !== undefined, sequenced };
    } finally {
      isOpen = false;
      setPipeline(client, false);
      if (isLocked && broken === undefined) broken = await unlockAll(client);
      client.removeListener('error', onError);
      // A connection that failed, or whose rollback did, is in an unknown state: destroy, don't reuse.
      client.release(broken);
    }
  }

  private markHot(projects: ReadonlySet<string>): void {
    const until = Date.now() + HOT_MS;
    for (const p of projects) this.hot.set(p, until);
    if (this.hot.size > MAX_HOT) for (const [p, t] of this.hot) if (t < Date.now()) this.hot.delete(p);
  }

  private isHot(projectId: string): boolean {
    const until = this.hot.get(projectId);
    if (until === undefined) return false;
    if (until >= Date.now()) return true;
    this.hot.delete(projectId);
    return false;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await this.pool.end();
  }
}

/**
 * Thrown (inside `fn`, before the counter is touched) when a transaction is about to append to a project
 * whose log is contended and it does not hold that project's lock: it is run again at once under the lock,
 * instead of running to its end and losing a serialization conflict.
 */
class NeedsEventLogLock extends Error {
  constructor(readonly projectId: string) {
    super(`event log of ${projectId} is contended: run under its lock`);
  }
}
/** How long a project's log counts as contended after a conflict on it. */
const HOT_MS = 10_000;
const MAX_HOT = 1_000;

/** Adds the projects to the locks; true when one was not locked yet (the next attempt runs under a new lock). */
function addLocks(locks: Set<string>, projects: ReadonlySet<string>): boolean {
  const size = locks.size;
  for (const p of projects) locks.add(p);
  return locks.size > size;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown; isBroken: boolean; sequenced: ReadonlySet<string> };

/** Releases the session's advisory locks; a connection that cannot is destroyed (which releases them). */
async function unlockAll(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('SELECT pg_advisory_unlock_all()');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * pg's pipeline mode, switched per checkout: `pipeline` is read each time the client sends, and is only
 * switched while nothing is queued on it.
 */
function setPipeline(client: pg.PoolClient, isOn: boolean): void {
  (client as unknown as { pipeline: boolean }).pipeline = isOn;
}

function settle(unit: BatchUnit<Repos>, result: Promise<unknown>): Promise<void> {
  return result.then(unit.resolve, unit.reject);
}

async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
