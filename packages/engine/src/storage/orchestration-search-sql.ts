import type { OrchestrationSearch } from './store.js';

/** `%`, `_` and the escape itself taken literally in a LIKE pattern. */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The WHERE clause of an orchestration search, shared by both SQL dialects (`param` makes `?` or `$n`).
 * Ids sort by creation time, and the keyset cursor (created_at, id) pages without OFFSET.
 */
export function searchWhere(
  projectId: string,
  f: OrchestrationSearch,
  param: () => string,
  like: 'LIKE' | 'ILIKE',
  /** How to compare ids in the order they sort (PostgreSQL: byte order, as `ORDER BY id COLLATE "C"`). */
  id = 'id',
): { where: string; args: unknown[] } {
  const where = [`project_id = ${param()}`];
  const args: unknown[] = [projectId];
  const add = (sql: (p: () => string) => string, ...values: unknown[]) => {
    where.push(sql(param));
    args.push(...values);
  };
  if (f.statuses !== undefined) add((p) => `status IN (${f.statuses!.map(() => p()).join(', ')})`, ...f.statuses);
  if (f.since !== undefined) add((p) => `created_at >= ${p()}`, f.since);
  if (f.until !== undefined) add((p) => `created_at < ${p()}`, f.until);
  if (f.idPrefix !== undefined) add((p) => `id LIKE ${p()} ESCAPE '\\'`, `${likeLiteral(f.idPrefix)}%`);
  if (f.text !== undefined) add((p) => `action ${like} ${p()} ESCAPE '\\'`, `%${likeLiteral(f.text)}%`);
  if (f.serviceIds !== undefined) {
    if (f.serviceIds.length === 0) where.push('1 = 0');
    else add((p) => `EXISTS (SELECT 1 FROM tasks t WHERE t.orchestration_id = o.id AND t.service_id IN (${f.serviceIds!.map(() => p()).join(', ')}))`, ...f.serviceIds);
  }
  if (f.after !== undefined) {
    add((p) => `(created_at < ${p()} OR (created_at = ${p()} AND ${id} < ${p()}))`, f.after.createdAt, f.after.createdAt, f.after.id);
  }
  return { where: where.join(' AND '), args };
}
