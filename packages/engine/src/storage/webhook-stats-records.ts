import { numbered } from './failure-counts-sql.js';
import type { EpochMs } from './records.js';

/** One endpoint's delivery attempts since a time: how many, how many succeeded, and the latest of them. */
export interface EndpointAttemptStats {
  endpointId: string;
  attempts: number;
  succeeded: number;
  last: { startedAt: EpochMs; httpStatus: number | null; error: string | null; isSuccess: boolean };
}

export interface WebhookStatsRepo {
  /**
   * Per endpoint of the project with at least one attempt started at or after `sinceMs` (the others are
   * left out): one grouped query over the attempts of the window, never one per endpoint.
   */
  attemptStats(projectId: string, sinceMs: EpochMs): Promise<EndpointAttemptStats[]>;
}

/**
 * Both dialects (`?` becomes `$n` for PostgreSQL). The window is read through `webhook_attempts_started`
 * (migration 19), so the cost follows the attempts of the window, not the whole history; each attempt's
 * delivery (its endpoint and project) is one primary-key lookup. The latest attempt is the one with the
 * highest seq, read back by its key.
 */
const ATTEMPT_STATS = `
  SELECT g.endpoint_id AS endpoint_id, g.attempts AS attempts, g.succeeded AS succeeded,
    l.started_at AS last_started_at, l.http_status AS last_http_status, l.error AS last_error, l.is_success AS last_is_success
  FROM (
    SELECT d.endpoint_id AS endpoint_id, count(*) AS attempts,
      sum(CASE WHEN a.is_success THEN 1 ELSE 0 END) AS succeeded, max(a.seq) AS last_seq
    FROM webhook_attempts a JOIN webhook_deliveries d ON d.seq = a.delivery_seq
    WHERE a.started_at >= ? AND d.project_id = ?
    GROUP BY d.endpoint_id
  ) g JOIN webhook_attempts l ON l.seq = g.last_seq`;

export const WEBHOOK_STATS_SQL = {
  sqlite: ATTEMPT_STATS,
  postgres: numbered(ATTEMPT_STATS),
};

/** A row of ATTEMPT_STATS; PostgreSQL answers counts as text (bigint) and booleans as booleans. */
export function attemptStatsFromRow(r: Record<string, unknown>): EndpointAttemptStats {
  return {
    endpointId: r.endpoint_id as string,
    attempts: Number(r.attempts),
    succeeded: Number(r.succeeded),
    last: {
      startedAt: Number(r.last_started_at),
      httpStatus: r.last_http_status === null ? null : Number(r.last_http_status),
      error: (r.last_error as string | null) ?? null,
      isSuccess: r.last_is_success === true || r.last_is_success === 1,
    },
  };
}
