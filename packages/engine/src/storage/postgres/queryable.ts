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
  };
}

/**
 * Runs statements on a transaction's client, one after another: a transaction body may start several
 * reads at once (`Promise.all`), and pg deprecates queueing queries on a busy client. Using it after the
 * transaction ended is a bug that would run SQL on a connection another caller now owns, so it throws.
 */
export function clientQueryable(client: pg.PoolClient, isOpen: () => boolean): Queryable {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    query: (statement, values = []) => {
      const run = () => {
        if (!isOpen()) return Promise.reject(new Error('storage: repository used after its transaction ended'));
        return client.query<Row>(toConfig(statement, values));
      };
      const result = tail.then(run, run);
      tail = result.catch(() => undefined);
      return result;
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
