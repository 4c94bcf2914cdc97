import type Database from 'better-sqlite3';
import { dueEndpointsOf } from '../due-endpoints.js';
import { EVENT_COLUMNS, eventFromRow } from './event-log-repo.js';
import { headersJson, headersOf } from '../attempt-headers-column.js';
import type {
  AttemptOutcome,
  DueDelivery,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookDeliveryRepo,
  WebhookEndpointRecord,
  WebhookEndpointRepo,
} from '../webhook-records.js';

type Row = Record<string, unknown>;

const ENDPOINT_COLUMNS = [
  'id', 'project_id', 'kind', 'url', 'secret', 'previous_secret', 'previous_secret_expires_at', 'is_enabled',
  'disabled_reason', 'disabled_at', 'created_at', 'updated_at', 'deleted_at',
];

/** SQLite implementation of the webhook endpoint repository. */
export function createWebhookEndpointRepo(db: Database.Database): WebhookEndpointRepo {
  const insert = db.prepare(
    `INSERT INTO webhook_endpoints (${ENDPOINT_COLUMNS.join(', ')}) VALUES (${ENDPOINT_COLUMNS.map((c) => `@${c}`).join(', ')})`,
  );
  const update = db.prepare(
    `UPDATE webhook_endpoints SET ${ENDPOINT_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`,
  );
  // Rows as arrays in ENDPOINT_COLUMNS order: the outbox lists a project's endpoints for every event, and
  // building a keyed object per row cost more than the query.
  const select = (where: string) => db.prepare(`SELECT ${ENDPOINT_COLUMNS.join(', ')} FROM webhook_endpoints WHERE ${where}`).raw(true);
  const get = select('project_id = ? AND id = ? AND deleted_at IS NULL');
  const listAll = select('project_id = ? AND deleted_at IS NULL ORDER BY created_at, rowid');
  const listKind = select('project_id = ? AND kind = ? AND deleted_at IS NULL ORDER BY created_at, rowid');
  const byUrl = select('project_id = ? AND kind = ? AND url = ? AND deleted_at IS NULL');
  return {
    insert: async (e) => void insert.run(endpointRow(e)),
    update: async (e) => void update.run(endpointRow(e)),
    get: async (projectId, id) => optional(get.get(projectId, id), endpointFromArray),
    list: async (projectId, kind) =>
      ((kind ? listKind.all(projectId, kind) : listAll.all(projectId)) as unknown[][]).map(endpointFromArray),
    findByUrl: async (projectId, kind, url) => optional(byUrl.get(projectId, kind, url), endpointFromArray),
  };
}

/** SQLite implementation of the outbox: events, deliveries and attempts. */
export function createWebhookDeliveryRepo(db: Database.Database): WebhookDeliveryRepo {
  const st = {
    // Positional parameters for the two inserts every event makes: binding a keyed object costs more
    // than the statement's own work on an event's small rows (bench/README.md, Webhooks).
    insertEvent: db.prepare(
      `INSERT OR IGNORE INTO webhook_events (id, project_id, type, body, created_at, sequence, subject, orchestration_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    getEvent: db.prepare(`SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE project_id = ? AND id = ?`),
    insertDelivery: db.prepare(
      `INSERT OR IGNORE INTO webhook_deliveries (event_id, endpoint_id, project_id, event_type, status, attempts, run_attempts,
       next_attempt_at, last_http_status, last_error, version, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // The exclusion lists are small (bounded by the dispatcher's concurrency), passed as JSON arrays.
    // Rows as arrays, in the order dueFromArray reads them (keyed rows cost twice as much to build).
    due: db
      .prepare(
        `SELECT d.seq, d.project_id, d.event_id, d.event_type, d.endpoint_id, d.run_attempts, d.attempts, d.version, e.body,
           e.created_at AS event_created_at, ep.url, ep.secret, ep.previous_secret, ep.previous_secret_expires_at, e.sequence
         FROM webhook_deliveries d
         JOIN webhook_events e ON e.id = d.event_id
         JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
         WHERE d.status = 'pending' AND d.endpoint_id = @endpointId AND d.next_attempt_at <= @now
           AND d.seq NOT IN (SELECT value FROM json_each(@seqs))
           -- The breaker: nothing is sent to an endpoint that is disabled, not active, or within a 429's Retry-After.
           AND ep.is_enabled = 1 AND NOT EXISTS (SELECT 1 FROM webhook_breakers b WHERE b.endpoint_id = d.endpoint_id
             AND (b.state <> 'active' OR b.throttled_until > @now))
           -- Order per orchestration: not while an earlier event of its orchestration is still pending here.
           AND NOT EXISTS (SELECT 1 FROM webhook_events e2
             JOIN webhook_deliveries d2 ON d2.event_id = e2.id AND d2.endpoint_id = d.endpoint_id AND d2.status = 'pending'
             WHERE e2.project_id = e.project_id AND e2.orchestration_id = e.orchestration_id AND e2.sequence < e.sequence)
         ORDER BY d.next_attempt_at, d.seq LIMIT @limit`,
      )
      .raw(true),
    // Per endpoint rather than over all due rows: a slow endpoint's backlog is never scanned to find
    // another endpoint's work. Only enabled endpoints can have pending deliveries (disable/delete end them).
    dueEndpoints: db.prepare(
      `SELECT id AS endpoint_id, (SELECT min(d.next_attempt_at) FROM webhook_deliveries d
           JOIN webhook_events e ON e.id = d.event_id
           WHERE d.status = 'pending' AND d.endpoint_id = ep.id AND d.seq NOT IN (SELECT value FROM json_each(@seqs))
             -- Held back behind an earlier event of their orchestration: not due, so they set no timer.
             AND NOT EXISTS (SELECT 1 FROM webhook_events e2
             JOIN webhook_deliveries d2 ON d2.event_id = e2.id AND d2.endpoint_id = d.endpoint_id AND d2.status = 'pending'
             WHERE e2.project_id = e.project_id AND e2.orchestration_id = e.orchestration_id AND e2.sequence < e.sequence)) AS due_at,
         b.state, b.next_probe_at, b.throttled_until, b.slow_start_window
       FROM webhook_endpoints ep LEFT JOIN webhook_breakers b ON b.endpoint_id = ep.id
       WHERE ep.deleted_at IS NULL AND ep.is_enabled = 1 AND ep.id NOT IN (SELECT value FROM json_each(@endpoints))`,
    ),
    // Positional parameters (see recordOutcomes): these run once per attempt.
    insertAttempt: db.prepare(
      `INSERT INTO webhook_attempts (delivery_seq, attempt, started_at, duration_ms, http_status, response_body, error, is_success,
         request_headers, response_headers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    applyOutcome: db.prepare(
      `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, run_attempts = run_attempts + ?,
         next_attempt_at = ?, last_http_status = ?, last_error = ?, version = version + 1, updated_at = ?
       WHERE seq = ? AND version = ?`,
    ),
    // Someone changed the delivery while the attempt was out (redeliver, disable, delete): keep their state,
    // except that a success on a delivery that was given up on is still a success.
    noteOutcome: db.prepare(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_http_status = ?, last_error = ?,
         status = CASE WHEN ? = 1 AND status IN ('skipped', 'failed') THEN 'succeeded' ELSE status END,
         version = version + 1, updated_at = ?
       WHERE seq = ? AND version <> ?`,
    ),
    requeueEvent: db.prepare(
      `UPDATE webhook_deliveries SET status = 'pending', run_attempts = 0, next_attempt_at = @now, version = version + 1,
         updated_at = @now
       WHERE event_id = @eventId AND endpoint_id IN (SELECT value FROM json_each(@endpoints))`,
    ),
    requeueEndpoint: db.prepare(
      `UPDATE webhook_deliveries SET status = 'pending', run_attempts = 0, next_attempt_at = @now, version = version + 1,
         updated_at = @now
       WHERE endpoint_id = @endpointId AND status IN ('failed', 'skipped') AND created_at >= @since`,
    ),
    pendingSummary: db.prepare("SELECT count(*) AS n, min(created_at) AS oldest FROM webhook_deliveries WHERE status = 'pending'"),
    endPending: db.prepare(
      `UPDATE webhook_deliveries SET status = @status, next_attempt_at = NULL, last_error = @reason, version = version + 1,
         updated_at = @now
       WHERE endpoint_id = @endpointId AND status = 'pending'`,
    ),
  };
  const insertDeliveries = atomically(db, (rows: Omit<WebhookDeliveryRecord, 'seq'>[]) =>
    rows.map((r) => {
      const { changes, lastInsertRowid } = st.insertDelivery.run(
        r.eventId, r.endpointId, r.projectId, r.eventType, r.status, r.attempts, r.runAttempts, r.nextAttemptAt,
        r.lastHttpStatus, r.lastError, r.version, r.createdAt, r.updatedAt,
      );
      return changes === 1 ? Number(lastInsertRowid) : null;
    }),
  );
  const recordOutcomes = atomically(db, (outcomes: AttemptOutcome[]) => {
    for (const o of outcomes) {
      const a = o.attempt;
      const isSuccess = a.isSuccess ? 1 : 0;
      st.insertAttempt.run(
        a.deliverySeq, a.attempt, a.startedAt, a.durationMs, a.httpStatus, a.responseBody, a.error, isSuccess,
        headersJson(a.requestHeaders), headersJson(a.responseHeaders),
      );
      const applied = st.applyOutcome.run(o.status, o.isHeld ? 0 : 1, o.nextAttemptAt, a.httpStatus, a.error, o.now, a.deliverySeq, o.version);
      if (applied.changes === 0) st.noteOutcome.run(a.httpStatus, a.error, isSuccess, o.now, a.deliverySeq, o.version);
    }
  });

  return {
    insertEvent: async (e) =>
      st.insertEvent.run(e.id, e.projectId, e.type, e.body, e.createdAt, e.sequence, e.subject, e.orchestrationId).changes > 0,
    getEvent: async (projectId, id) => {
      const r = st.getEvent.get(projectId, id) as Row | undefined;
      return r && eventFromRow(r);
    },
    insertDeliveries: async (rows) => (rows.length > 0 ? insertDeliveries(rows) : []),
    listDueEndpoints: async (seqs, endpoints) =>
      dueEndpointsOf(st.dueEndpoints.all({ seqs: JSON.stringify(seqs), endpoints: JSON.stringify(endpoints) }) as Row[]),
    listDue: async (endpointId, now, limit, seqs) =>
      (st.due.all({ endpointId, now, limit, seqs: JSON.stringify(seqs) }) as unknown[][]).map(dueFromArray),
    recordOutcomes: async (outcomes) => {
      if (outcomes.length > 0) recordOutcomes(outcomes);
    },
    list: async (projectId, f) => {
      // For one event or one orchestration's, look them up by event id (unary + keeps SQLite off the per-project index).
      const where = [f.eventId || f.orchestrationId ? '+d.project_id = @projectId' : 'd.project_id = @projectId'];
      if (f.status) where.push('d.status = @status');
      if (f.type) where.push('d.event_type = @type');
      if (f.endpointId) where.push('d.endpoint_id = @endpointId');
      if (f.eventId) where.push('d.event_id = @eventId');
      // Through the log's (project_id, orchestration_id, sequence) index, then each event's deliveries by key.
      if (f.orchestrationId) {
        where.push('d.event_id IN (SELECT e.id FROM webhook_events e WHERE e.project_id = @projectId AND e.orchestration_id = @orchestrationId)');
      }
      if (f.beforeSeq !== undefined) where.push('d.seq < @beforeSeq');
      const sql = `SELECT d.*, ep.url FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
        WHERE ${where.join(' AND ')} ORDER BY d.seq DESC LIMIT @limit`;
      const params = { projectId, status: null, type: null, endpointId: null, eventId: null, orchestrationId: null, beforeSeq: null, ...f };
      return (db.prepare(sql).all(params) as Row[]).map((r) => ({ ...deliveryFromRow(r), url: r.url as string }));
    },
    listAttempts: async (seqs) => {
      if (seqs.length === 0) return [];
      const rows = db
        .prepare('SELECT * FROM webhook_attempts WHERE delivery_seq IN (SELECT value FROM json_each(?)) ORDER BY seq')
        .all(JSON.stringify(seqs)) as Row[];
      return rows.map(attemptFromRow);
    },
    requeueEvent: async (eventId, endpoints, now) =>
      st.requeueEvent.run({ eventId, endpoints: JSON.stringify(endpoints), now }).changes,
    requeueEndpoint: async (endpointId, since, now) => st.requeueEndpoint.run({ endpointId, since, now }).changes,
    endPending: async (endpointId, status, reason, now) => st.endPending.run({ endpointId, status, reason, now }).changes,
    pendingSummary: async () => {
      const row = st.pendingSummary.get() as { n: number; oldest: number | null };
      return { count: row.n, oldestCreatedAt: row.oldest };
    },
  };
}

function optional<R, T>(row: unknown, map: (row: R) => T): T | undefined {
  return row === undefined ? undefined : map(row as R);
}

/**
 * `fn` in a transaction of its own when called outside one; inside the caller's transaction as is, since
 * that already makes it atomic (better-sqlite3 would add a savepoint: two more statements per call).
 */
function atomically<A, R>(db: Database.Database, fn: (arg: A) => R): (arg: A) => R {
  const inOwnTransaction = db.transaction(fn);
  return (arg) => (db.inTransaction ? fn(arg) : inOwnTransaction(arg));
}

const endpointRow = (e: WebhookEndpointRecord) => ({
  id: e.id,
  project_id: e.projectId,
  kind: e.kind,
  url: e.url,
  secret: e.secret,
  previous_secret: e.previousSecret,
  previous_secret_expires_at: e.previousSecretExpiresAt,
  is_enabled: e.isEnabled ? 1 : 0,
  disabled_reason: e.disabledReason,
  disabled_at: e.disabledAt,
  created_at: e.createdAt,
  updated_at: e.updatedAt,
  deleted_at: e.deletedAt,
});

/** A row of ENDPOINT_COLUMNS, in that order. */
const endpointFromArray = (r: unknown[]): WebhookEndpointRecord => ({
  id: r[0] as string,
  projectId: r[1] as string,
  kind: r[2] as WebhookEndpointRecord['kind'],
  url: r[3] as string,
  secret: r[4] as string,
  previousSecret: r[5] as string | null,
  previousSecretExpiresAt: r[6] as number | null,
  isEnabled: r[7] === 1,
  disabledReason: r[8] as string | null,
  disabledAt: r[9] as number | null,
  createdAt: r[10] as number,
  updatedAt: r[11] as number,
  deletedAt: r[12] as number | null,
});

const deliveryFromRow = (r: Row): WebhookDeliveryRecord => ({
  seq: r.seq as number,
  eventId: r.event_id as string,
  endpointId: r.endpoint_id as string,
  projectId: r.project_id as string,
  eventType: r.event_type as WebhookDeliveryRecord['eventType'],
  status: r.status as WebhookDeliveryRecord['status'],
  attempts: r.attempts as number,
  runAttempts: r.run_attempts as number,
  nextAttemptAt: r.next_attempt_at as number | null,
  lastHttpStatus: r.last_http_status as number | null,
  lastError: r.last_error as string | null,
  version: r.version as number,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

/** A row of the `due` statement, in its column order. */
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

const attemptFromRow = (r: Row): WebhookAttemptRecord => ({
  deliverySeq: r.delivery_seq as number,
  attempt: r.attempt as number,
  startedAt: r.started_at as number,
  durationMs: r.duration_ms as number,
  httpStatus: r.http_status as number | null,
  responseBody: r.response_body as string | null,
  requestHeaders: headersOf(r.request_headers),
  responseHeaders: headersOf(r.response_headers),
  error: r.error as string | null,
  isSuccess: r.is_success === 1,
});
