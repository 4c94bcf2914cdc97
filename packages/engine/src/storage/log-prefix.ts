export type LogRow = { id: string; sequence: number; created_at: number; is_pending: number | boolean };

/**
 * The log is deleted from its start only, so "everything after cursor n is there" holds for every n at or
 * above `pruned_through`: the oldest events go while they are past the cutoff and have nothing pending;
 * the first that must stay keeps itself and everything after it. Adds the ids to `ids`; returns the last
 * sequence taken (or 0).
 */
export function takePrefix(rows: readonly LogRow[], cutoff: number, ids: string[]): number {
  let through = 0;
  for (const r of rows) {
    if (r.created_at >= cutoff || Boolean(r.is_pending)) break;
    ids.push(r.id);
    through = r.sequence;
  }
  return through;
}
