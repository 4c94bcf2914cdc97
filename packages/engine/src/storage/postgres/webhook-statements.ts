import { EVENT_COLUMNS } from './event-log-repo.js';
const DELIVERY_COLUMNS = [
  'seq', 'event_id', 'endpoint_id', 'project_id', 'event_type', 'status', 'attempts', 'run_attempts', 'next_attempt_at',
  'last_http_status', 'last_error', 'version', 'created_at', 'updated_at',
];

/** The outbox's fixed statements (PostgreSQL), prepared once per connection. */
export const WEBHOOK_DELIVERY_STATEMENTS = {
  deliveryColumns: DELIVERY_COLUMNS.map((c) => `d.${c}`).join(', '),
  insertEvent: {
    name: 'orra_webhook_event_insert',
    text: `INSERT INTO webhook_events (id, project_id, type, body, created_at, sequence, subject, orchestration_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (id) DO NOTHING`,
  },
  getEvent: {
    name: 'orra_webhook_event_get',
    text: `SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE project_id = $1 AND id = $2`,
  },
  // Rows keep the order given, so delivery seqs do too (WITH ORDINALITY … ORDER BY).
  insertDeliveries: {
    name: 'orra_webhook_deliveries_insert',
    text: `INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS.slice(1).join(', ')})
      SELECT e, ep, p, t, s, a, ra, na, hs, le, v, ca, ua FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
        $5::text[], $6::int[], $7::int[], $8::bigint[], $9::int[], $10::text[], $11::int[], $12::bigint[], $13::bigint[])
        WITH ORDINALITY AS x(e, ep, p, t, s, a, ra, na, hs, le, v, ca, ua, n) ORDER BY n
      ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
  },
  // The exclusion lists are small (bounded by the dispatcher's concurrency), passed as arrays.
  due: {
    name: 'orra_webhook_due',
    text: `SELECT d.seq, d.project_id, d.event_id, d.event_type, d.endpoint_id, d.run_attempts, d.attempts, d.version,
        e.body, e.created_at AS event_created_at, ep.url, ep.secret, ep.previous_secret, ep.previous_secret_expires_at,
        e.sequence
      FROM webhook_deliveries d
      JOIN webhook_events e ON e.id = d.event_id
      JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
      WHERE d.status = 'pending' AND d.endpoint_id = $1 AND d.next_attempt_at <= $2 AND d.seq <> ALL($4::bigint[])
        AND d.claimed_by = current_setting('orra.node')
        -- The breaker: nothing is sent to an endpoint that is disabled, not active, or within a 429's Retry-After.
        AND ep.is_enabled AND NOT EXISTS (SELECT 1 FROM webhook_breakers b WHERE b.endpoint_id = d.endpoint_id
          AND (b.state <> 'active' OR b.throttled_until > $2))
        -- Order per orchestration: not while an earlier event of its orchestration is still pending here.
        AND NOT EXISTS (SELECT 1 FROM webhook_events e2
          JOIN webhook_deliveries d2 ON d2.event_id = e2.id AND d2.endpoint_id = d.endpoint_id AND d2.status = 'pending'
          WHERE e2.project_id = e.project_id AND e2.orchestration_id = e.orchestration_id AND e2.sequence < e.sequence)
      ORDER BY d.next_attempt_at, d.seq LIMIT $3`,
  },
  // Per endpoint: one index seek each, however long a slow endpoint's backlog. Only enabled endpoints can
  // have pending deliveries (disable and delete end them). Both due queries see only the deliveries this
  // process has claimed (claimed_by, migration 0005): with several engines on one database, each pending
  // delivery is sent by exactly one of them; cluster/ hands a dead engine's deliveries to a live one.
  dueEndpoints: {
    name: 'orra_webhook_due_endpoints',
    text: `SELECT ep.id AS endpoint_id, (SELECT min(d.next_attempt_at) FROM webhook_deliveries d
          JOIN webhook_events e ON e.id = d.event_id
          WHERE d.status = 'pending' AND d.endpoint_id = ep.id AND d.seq <> ALL($1::bigint[])
            AND d.claimed_by = current_setting('orra.node')
            -- Held back behind an earlier event of their orchestration: not due, so they set no timer.
            AND NOT EXISTS (SELECT 1 FROM webhook_events e2
          JOIN webhook_deliveries d2 ON d2.event_id = e2.id AND d2.endpoint_id = d.endpoint_id AND d2.status = 'pending'
          WHERE e2.project_id = e.project_id AND e2.orchestration_id = e.orchestration_id AND e2.sequence < e.sequence)) AS due_at,
        b.state, b.next_probe_at, b.throttled_until, b.slow_start_window
      FROM webhook_endpoints ep LEFT JOIN webhook_breakers b ON b.endpoint_id = ep.id
      WHERE ep.deleted_at IS NULL AND ep.is_enabled AND ep.id <> ALL($2::text[])
      ORDER BY ep.created_at, ep.rowid`,
  },
  /**
   * A batch of attempt outcomes in one statement: insert the attempts, then update each delivery. An
   * outcome applies only if the delivery's version is the one the attempt was claimed with; otherwise
   * someone changed it meanwhile (redeliver, disable, delete) and their state stays, except that a
   * success on a delivery that was given up on is still a success. Same rules as SQLite's two updates.
   */
  recordOutcomes: {
    name: 'orra_webhook_record_outcomes',
    text: `WITH o AS (
        SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::text[], $7::text[],
          $8::bool[], $9::int[], $10::text[], $11::bigint[], $12::bigint[], $13::int[], $14::text[], $15::text[])
          WITH ORDINALITY AS x(delivery_seq, attempt, started_at, duration_ms, http_status, response_body, error,
            is_success, claimed_version, new_status, next_at, now_ms, run_step, request_headers, response_headers, n)
      ), attempts AS (
        INSERT INTO webhook_attempts (delivery_seq, attempt, started_at, duration_ms, http_status, response_body, error,
          is_success, request_headers, response_headers)
        SELECT delivery_seq, attempt, started_at, duration_ms, http_status, response_body, error, is_success,
          request_headers, response_headers
        FROM o ORDER BY n
      )
      UPDATE webhook_deliveries d SET
        status = CASE WHEN d.version = o.claimed_version THEN o.new_status
          WHEN o.is_success AND d.status IN ('skipped', 'failed') THEN 'succeeded' ELSE d.status END,
        attempts = d.attempts + 1,
        run_attempts = CASE WHEN d.version = o.claimed_version THEN d.run_attempts + o.run_step ELSE d.run_attempts END,
        next_attempt_at = CASE WHEN d.version = o.claimed_version THEN o.next_at ELSE d.next_attempt_at END,
        last_http_status = o.http_status, last_error = o.error, version = d.version + 1, updated_at = o.now_ms
      FROM o WHERE d.seq = o.delivery_seq`,
  },
  listAttempts: {
    name: 'orra_webhook_attempts_list',
    text: `SELECT delivery_seq, attempt, started_at, duration_ms, http_status, response_body, error, is_success,
        request_headers, response_headers
      FROM webhook_attempts WHERE delivery_seq = ANY($1::bigint[]) ORDER BY seq`,
  },
  requeueEvent: {
    name: 'orra_webhook_requeue_event',
    text: `UPDATE webhook_deliveries SET status = 'pending', run_attempts = 0, next_attempt_at = $3, version = version + 1,
        updated_at = $3, claimed_by = DEFAULT
      WHERE event_id = $1 AND endpoint_id = ANY($2::text[])`,
  },
  requeueEndpoint: {
    name: 'orra_webhook_requeue_endpoint',
    text: `UPDATE webhook_deliveries SET status = 'pending', run_attempts = 0, next_attempt_at = $3, version = version + 1,
        updated_at = $3, claimed_by = DEFAULT
      WHERE endpoint_id = $1 AND status IN ('failed', 'skipped') AND created_at >= $2`,
  },
  pendingSummary: {
    name: 'orra_webhook_pending_summary',
    text: "SELECT count(*)::int AS n, min(created_at) AS oldest FROM webhook_deliveries WHERE status = 'pending'",
  },
  endPending: {
    name: 'orra_webhook_end_pending',
    text: `UPDATE webhook_deliveries SET status = $2, next_attempt_at = NULL, last_error = $3, version = version + 1,
        updated_at = $4
      WHERE endpoint_id = $1 AND status = 'pending'`,
  },
};
