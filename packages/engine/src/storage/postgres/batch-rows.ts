/**
 * Batched writes send one statement whatever the number of rows: each column travels as one array
 * parameter and `unnest` turns them back into rows. The statement text never changes, so it stays
 * prepared (a multi-row VALUES list would be a new statement for every batch size).
 */
export function toColumns(rows: unknown[][]): unknown[][] {
  const width = rows[0]?.length ?? 0;
  return Array.from({ length: width }, (_, i) => rows.map((r) => r[i]));
}

/**
 * One upsert statement cannot touch a row twice; SQLite's row-by-row INSERT OR REPLACE lets the last
 * record of a key win, so keep only that one (in the position of its first occurrence).
 */
export function lastPerKey<T>(records: T[], key: (r: T) => string): T[] {
  if (records.length < 2) return records;
  const byKey = new Map<string, T>();
  for (const r of records) byKey.set(key(r), r);
  return byKey.size === records.length ? records : [...byKey.values()];
}
