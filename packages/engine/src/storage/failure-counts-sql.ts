import type { FailureCounts } from './store.js';

/**
 * The console overview's "failed or aborted in the last 24 h" tile, counted by the database (both
 * dialects; `?` is rewritten to `$n` for PostgreSQL). Totals come from the (project, status, created_at)
 * index alone; groups read each failure's error and its failing task's service and return at most
 * `limit` rows, so the answer is the same size whatever the volume (bench/README.md, console).
 */
const TOTALS = `
  SELECT status, count(*) AS n FROM orchestrations
  WHERE project_id = ? AND status IN ('failed', 'aborted') AND created_at >= ? AND created_at < ?
  GROUP BY status`;

/** A failure's error text: the failed task's message, or the abort's `reason`. */
const GROUPS = (error: string, reason: string, producer: string, collate: string) => `
  SELECT * FROM (
    SELECT o.status AS status, t.service_id AS service_id, t.service_name AS service_name,
      CASE WHEN o.status = 'failed' THEN ${error} ELSE ${reason} END AS reason, count(*) AS n
    FROM orchestrations o
    LEFT JOIN tasks t ON o.status = 'failed' AND t.orchestration_id = o.id AND t.task_id = ${producer}
    WHERE o.project_id = ? AND o.status IN ('failed', 'aborted') AND o.created_at >= ? AND o.created_at < ?
    GROUP BY 1, 2, 3, 4
  ) g
  ORDER BY n DESC, status, COALESCE(service_name, '')${collate}, COALESCE(reason, '')${collate}
  LIMIT ?`;

export const FAILURE_COUNTS_SQL = {
  sqlite: {
    totals: TOTALS,
    groups: GROUPS(`json_extract(o.error, '$.error')`, `json_extract(o.abort_reason, '$.reason')`, `json_extract(o.error, '$.producer')`, ''),
  },
  postgres: {
    totals: numbered(TOTALS),
    groups: numbered(GROUPS(`o.error->>'error'`, `o.abort_reason->>'reason'`, `o.error->>'producer'`, ' COLLATE "C"')),
  },
};

/** `?` placeholders numbered `$1, $2, …` for PostgreSQL, so one SQL text serves both stores. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Row = Record<string, unknown>;
const textOrNull = (v: unknown) => (v == null ? null : String(v));

/** The rows of both statements as FailureCounts (PostgreSQL's counts arrive as strings). */
export function failureCountsFrom(totals: Row[], groups: Row[]): FailureCounts {
  const count = (status: string) => Number(totals.find((r) => r.status === status)?.n ?? 0);
  return {
    totals: { failed: count('failed'), aborted: count('aborted') },
    groups: groups.map((r) => ({
      status: r.status === 'aborted' ? 'aborted' : 'failed',
      serviceId: textOrNull(r.service_id),
      serviceName: textOrNull(r.service_name),
      error: textOrNull(r.reason),
      count: Number(r.n),
    })),
  };
}
