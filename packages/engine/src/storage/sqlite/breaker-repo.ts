import type Database from 'better-sqlite3';
import type { BreakerRecord, BreakerRepo, BreakerState } from '../breaker-records.js';
import type { DueDelivery } from '../webhook-records.js';

type Row = Record<string, unknown>;

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

/** SQLite implementation of the breaker repository (one process: a transition needs no notice). */
export function createBreakerRepo(db: Database.Database): BreakerRepo {
  const st = {
    get: db.prepare(`SELECT ${COLUMNS.join(', ')} FROM webhook_breakers WHERE endpoint_id = ?`),
    put: db.prepare(
      `INSERT OR REPLACE INTO webhook_breakers (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
    ),
    list: db.prepare(
      `SELECT ${COLUMNS.join(', ')} FROM webhook_breakers WHERE endpoint_id IN (SELECT value FROM json_each(?))`,
    ),
    pending: db.prepare(
      `SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
       WHERE status = 'pending' AND endpoint_id IN (SELECT value FROM json_each(?)) GROUP BY endpoint_id`,
    ),
    summary: db.prepare(
      `SELECT CASE WHEN ep.is_enabled = 0 THEN 'disabled' ELSE coalesce(b.state, 'active') END AS state,
         count(*) AS endpoints,
         coalesce(sum((SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = ep.id AND d.status = 'pending')), 0) AS pending
       FROM webhook_endpoints ep LEFT JOIN webhook_breakers b ON b.endpoint_id = ep.id
       WHERE ep.deleted_at IS NULL GROUP BY 1`,
    ),
    oldest: db
      .prepare(
        `SELECT d.seq, d.project_id, d.event_id, d.event_type, d.endpoint_id, d.run_attempts, d.attempts, d.version, e.body,
           e.created_at AS event_created_at, ep.url, ep.secret, ep.previous_secret, ep.previous_secret_expires_at, e.sequence
         FROM webhook_deliveries d
         JOIN webhook_events e ON e.id = d.event_id
         JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
         WHERE d.status = 'pending' AND d.endpoint_id = ? AND d.seq NOT IN (SELECT value FROM json_each(?))
         ORDER BY d.seq LIMIT 1`,
      )
      .raw(true),
    expireLeases: db.prepare(
      `UPDATE webhook_breakers SET next_probe_at = @now, updated_at = @now WHERE state = 'probing' AND next_probe_at > @now`,
    ),
    makeDue: db.prepare(
      `UPDATE webhook_deliveries SET next_attempt_at = @now, version = version + 1, updated_at = @now
       WHERE endpoint_id = @endpointId AND status = 'pending'`,
    ),
  };
  return {
    get: async (endpointId) => {
      const r = st.get.get(endpointId) as Row | undefined;
      return r && breakerFromRow(r);
    },
    put: async (b) => void st.put.run(breakerRow(b)),
    list: async (ids) =>
      ids.length === 0 ? [] : (st.list.all(JSON.stringify(ids)) as Row[]).map(breakerFromRow),
    pendingCounts: async (ids) => {
      if (ids.length === 0) return new Map();
      return new Map(
        (st.pending.all(JSON.stringify(ids)) as Row[]).map((r) => [r.endpoint_id as string, r.n as number]),
      );
    },
    summary: async () =>
      (st.summary.all() as Row[]).map((r) => ({
        state: r.state as BreakerState | 'disabled',
        endpoints: r.endpoints as number,
        pending: r.pending as number,
      })),
    oldestPending: async (endpointId, seqs) => {
      const r = st.oldest.get(endpointId, JSON.stringify(seqs)) as unknown[] | undefined;
      return r && dueFromArray(r);
    },
    makeDue: async (endpointId, now) => st.makeDue.run({ endpointId, now }).changes,
    expireProbeLeases: async (now) => st.expireLeases.run({ now }).changes,
  };
}

const breakerRow = (b: BreakerRecord) => ({
  endpoint_id: b.endpointId,
  project_id: b.projectId,
  state: b.state,
  state_since: b.stateSince,
  consecutive_failures: b.consecutiveFailures,
  first_failed_event_id: b.firstFailedEventId,
  is_spanning_events: b.isSpanningEvents ? 1 : 0,
  failing_since: b.failingSince,
  probes: b.probes,
  next_probe_at: b.nextProbeAt,
  throttled_until: b.throttledUntil,
  slow_start_window: b.slowStartWindow,
  updated_at: b.updatedAt,
});

/** A breaker row (both stores: the PostgreSQL adapter reads BIGINTs as numbers and booleans as booleans). */
export const breakerFromRow = (r: Row): BreakerRecord => ({
  endpointId: r.endpoint_id as string,
  projectId: r.project_id as string,
  state: r.state as BreakerState,
  stateSince: Number(r.state_since),
  consecutiveFailures: Number(r.consecutive_failures),
  firstFailedEventId: r.first_failed_event_id as string | null,
  isSpanningEvents: r.is_spanning_events === 1 || r.is_spanning_events === true,
  failingSince: nullableNumber(r.failing_since),
  probes: Number(r.probes),
  nextProbeAt: nullableNumber(r.next_probe_at),
  throttledUntil: nullableNumber(r.throttled_until),
  slowStartWindow: nullableNumber(r.slow_start_window),
  updatedAt: Number(r.updated_at),
});

const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const dueFromArray = (r: unknown[]): DueDelivery => ({
  seq: r[0] as number,
  projectId: r[1] as string,
  eventId: r[2] as string,
  eventType: r[3] as DueDelivery['eventType'],
  endpointId: r[4] as string,
  runAttempts: r[5] as number,
  attempts: r[6] as number,
  version: r[7] as number,
  body: r[8] as string,
  eventCreatedAt: r[9] as number,
  url: r[10] as string,
  secret: r[11] as string,
  previousSecret: r[12] as string | null,
  previousSecretExpiresAt: r[13] as number | null,
  sequence: r[14] as number,
});
