import type pg from 'pg';

export type Row = Record<string, unknown>;

/** A statement with a stable name: pg prepares it once per connection and then only binds values. */
export interface Statement {
  name: string;
  text: string;
}

/**
 * What the repositories run their SQL on: the pool (one statement, any connection) or the client of an
 * open transaction. Repositories never see which.
 */
export interface Queryable {
  query(statement: Statement | string, values?: unknown[]): Promise<pg.QueryResult<Row>>;
  /**
   * A write whose result the caller does not read. On the pool it is a query like any other; in a
   * transaction it is sent at once and not waited for (pipelined behind the statements before it), and an
   * error in it fails the transaction when it commits: a step's BEGIN, writes and COMMIT then make one
   * round trip instead of one each.
   */
  exec(statement: Statement | string, values?: unknown[]): Promise<void>;
}

/** The queryable of an open transaction. */
export interface TransactionQueryable extends Queryable {
  /**
   * Waits until every statement sent has been answered, and returns the first error among them (the
   * statement that aborted the transaction: those behind it only fail with "transaction is aborted"), or
   * undefined.
   */
  settle(): Promise<{ error: unknown } | undefined>;
}

/**
 * PostgreSQL refuses U+0000 in text (JSON text escapes it, so JSON columns are unaffected). SQLite stores
 * it, so a receiver's response body or an error message carrying one would fail a whole transaction here;
 * it is replaced instead, and a lookup by such a value finds nothing rather than failing.
 */
function sanitize(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  if (Array.isArray(value)) return value.map(sanitize);
  return value;
}

function toConfig(statement: Statement | string, values: unknown[]): pg.QueryConfig {
  const params = values.map(sanitize);
  return typeof statement === 'string' ? { text: statement, values: params } : { ...statement, values: params };
}

/** Runs each statement on whichever pooled connection is free. */
export function poolQueryable(pool: pg.Pool): Queryable {
  return {
    query: (statement, values = []) => pool.query<Row>(toConfig(statement, values)),
    exec: async (statement, values = []) => {
      await pool.query<Row>(toConfig(statement, values));
    },
  };
}

/**
 * Runs a transaction's statements on its client, which is in pg's pipeline mode while the transaction is
 * open: each statement is written to the connection at once, without waiting for the answers to those
 * before it (PostgreSQL runs them in order, each with its own Sync, so an error aborts the transaction and
 * every later statement in it fails). Reads still wait for their own rows; writes sent with `exec` are
 * not waited for at all, so BEGIN, a step's writes and COMMIT go out back to back. Using it after the
 * transaction ended is a bug that would run SQL on a connection another caller now owns, so it throws.
 */
export function pipelinedQueryable(client: pg.PoolClient, isOpen: () => boolean): TransactionQueryable {
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const send = (statement: Statement | string, values: unknown[]): Promise<pg.QueryResult<Row>> => {
    if (!isOpen()) return Promise.reject(new Error('storage: repository used after its transaction ended'));
    const result = client.query<Row>(toConfig(statement, values));
    const answered: Promise<void> = result.then(
      () => undefined,
      (error: unknown) => void (failure ??= { error }),
    );
    inFlight.add(answered);
    void answered.then(() => inFlight.delete(answered));
    return result;
  };
  return {
    query: (statement, values = []) => send(statement, values),
    exec: (statement, values = []) => {
      if (!isOpen()) return Promise.reject(new Error('storage: repository used after its transaction ended'));
      // The error is kept by `send` and reported by `settle`; the transaction then fails.
      send(statement, values).catch(() => undefined);
      return Promise.resolve();
    },
    settle: async () => {
      while (inFlight.size > 0) await Promise.all(inFlight);
      return failure;
    },
  };
}

/** JSON columns: `undefined` and `null` are both stored as SQL NULL (as on SQLite). */
export const toJson = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

/** The first row mapped, or undefined. */
export function first<T>(result: pg.QueryResult<Row>, map: (row: Row) => T): T | undefined {
  const row = result.rows[0];
  return row === undefined ? undefined : map(row);
}
