import type { BreakerRecord, BreakerRepo, BreakerState } from '../breaker-records.js';
import { breakerFromRow } from '../sqlite/breaker-repo.js';
import { first, type Queryable } from './queryable.js';
import { dueFromRow } from './webhook-repos.js';

const COLUMNS = [
  'endpoint_id',
  'project_id',
  'state',
  'state_since',
  'consecutive_failures',
  'first_failed_event_id',
  'is_spanning_events',
  'failing_since',
  'probes',
  'next_probe_at',
  'throttled_until',
  'slow_start_window',
  'updated_at',
];

const ST = {
  // FOR UPDATE: the flush that read the row holds it until commit; a concurrent flush on another process
  // waits, then (REPEATABLE READ) fails with a serialization error and runs again on the new state.
  get: {
    name: 'orra_breaker_get',
    text: `SELECT ${COLUMNS.join(', ')} FROM webhook_breakers WHERE endpoint_id = $1 FOR UPDATE`,
  },
  put: {
    name: 'orra_breaker_put',
    text: `INSERT INTO webhook_breakers (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
      ON CONFLICT (endpoint_id) DO UPDATE SET ${COLUMNS.slice(1)
        .map((c) => `${c} = EXCLUDED.${c}`)
        .join(', ')}`,
  },
  // pg_notify is transactional: sent at COMMIT. Every engine process looks for due deliveries again.
  notify: {
    name: 'orra_breaker_notify',
    text: `SELECT pg_notify(current_setting('orra.channel'), '{"t":"w"}')`,
  },
  list: {
    name: 'orra_breaker_list',
    text: `SELECT ${COLUMNS.join(', ')} FROM webhook_breakers WHERE endpoint_id = ANY($1::text[])`,
  },
  pending: {
    name: 'orra_breaker_pending',
    text: `SELECT endpoint_id, count(*)::int AS n FROM webhook_deliveries
      WHERE status = 'pending' AND endpoint_id = ANY($1::text[]) GROUP BY endpoint_id`,
  },
  summary: {
    name: 'orra_breaker_summary',
    text: `SELECT CASE WHEN NOT ep.is_enabled THEN 'disabled' ELSE coalesce(b.state, 'active') END AS state,
        count(*)::int AS endpoints,
        coalesce(sum((SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = ep.id AND d.status = 'pending')), 0)::int AS pending
      FROM webhook_endpoints ep LEFT JOIN webhook_breakers b ON b.endpoint_id = ep.id
      WHERE ep.deleted_at IS NULL GROUP BY 1`,
  },
  // Any process's delivery: the probe is the endpoint's, whichever process holds its deliveries.
  oldest: {
    name: 'orra_breaker_oldest',
    text: `SELECT d.seq, d.project_id, d.event_id, d.event_type, d.endpoint_id, d.run_attempts, d.attempts, d.version,
        e.body, e.created_at AS event_created_at, ep.url, ep.secret, ep.previous_secret, ep.previous_secret_expires_at,
        e.sequence
      FROM webhook_deliveries d
      JOIN webhook_events e ON e.id = d.event_id
      JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
      WHERE d.status = 'pending' AND d.endpoint_id = $1 AND d.seq <> ALL($2::bigint[])
      ORDER BY d.seq LIMIT 1`,
  },
  expireLeases: {
    name: 'orra_breaker_expire_leases',
    text: `UPDATE webhook_breakers SET next_probe_at = $1, updated_at = $1 WHERE state = 'probing' AND next_probe_at > $1`,
  },
  makeDue: {
    name: 'orra_breaker_make_due',
    text: `UPDATE webhook_deliveries SET next_attempt_at = $2, version = version + 1, updated_at = $2
      WHERE endpoint_id = $1 AND status = 'pending'`,
  },
};

/** PostgreSQL implementation of the breaker repository. */
export function createBreakerRepo(q: Queryable): BreakerRepo {
  return {
    get: async (endpointId) => first(await q.query(ST.get, [endpointId]), breakerFromRow),
    put: async (b, isTransition) => {
      await q.query(ST.put, breakerParams(b));
      if (isTransition) await q.query(ST.notify, []);
    },
    list: async (ids) => (ids.length === 0 ? [] : (await q.query(ST.list, [ids])).rows.map(breakerFromRow)),
    pendingCounts: async (ids) => {
      if (ids.length === 0) return new Map();
      return new Map(
        (await q.query(ST.pending, [ids])).rows.map((r) => [r.endpoint_id as string, r.n as number]),
      );
    },
    summary: async () =>
      (await q.query(ST.summary, [])).rows.map((r) => ({
        state: r.state as BreakerState | 'disabled',
        endpoints: r.endpoints as number,
        pending: r.pending as number,
      })),
    oldestPending: async (endpointId, seqs) =>
      first(await q.query(ST.oldest, [endpointId, seqs]), dueFromRow),
    makeDue: async (endpointId, now) => (await q.query(ST.makeDue, [endpointId, now])).rowCount ?? 0,
    expireProbeLeases: async (now) => (await q.query(ST.expireLeases, [now])).rowCount ?? 0,
  };
}

const breakerParams = (b: BreakerRecord): unknown[] => [
  b.endpointId,
  b.projectId,
  b.state,
  b.stateSince,
  b.consecutiveFailures,
  b.firstFailedEventId,
  b.isSpanningEvents,
  b.failingSince,
  b.probes,
  b.nextProbeAt,
  b.throttledUntil,
  b.slowStartWindow,
  b.updatedAt,
];
