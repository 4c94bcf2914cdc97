import { dueEndpointsOf } from '../due-endpoints.js';
import { eventFromRow } from './event-log-repo.js';
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
import { toColumns } from './batch-rows.js';
import { first, type Queryable, type Row } from './queryable.js';
import { WEBHOOK_DELIVERY_STATEMENTS as ST } from './webhook-statements.js';

const ENDPOINT_COLUMNS = [
  'id', 'project_id', 'kind', 'url', 'secret', 'previous_secret', 'previous_secret_expires_at', 'is_enabled',
  'disabled_reason', 'disabled_at', 'created_at', 'updated_at', 'deleted_at',
];
const ENDPOINT = ENDPOINT_COLUMNS.join(', ');

const EP = {
  insert: {
    name: 'orra_endpoint_insert',
    text: `INSERT INTO webhook_endpoints (${ENDPOINT}) VALUES (${ENDPOINT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
  },
  update: {
    name: 'orra_endpoint_update',
    text: `UPDATE webhook_endpoints SET ${ENDPOINT_COLUMNS.slice(1).map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`,
  },
  get: {
    name: 'orra_endpoint_get',
    text: `SELECT ${ENDPOINT} FROM webhook_endpoints WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL`,
  },
  listAll: {
    name: 'orra_endpoint_list',
    text: `SELECT ${ENDPOINT} FROM webhook_endpoints WHERE project_id = $1 AND deleted_at IS NULL
      ORDER BY created_at, rowid`,
  },
  listKind: {
    name: 'orra_endpoint_list_kind',
    text: `SELECT ${ENDPOINT} FROM webhook_endpoints WHERE project_id = $1 AND kind = $2 AND deleted_at IS NULL
      ORDER BY created_at, rowid`,
  },
  byUrl: {
    name: 'orra_endpoint_by_url',
    text: `SELECT ${ENDPOINT} FROM webhook_endpoints
      WHERE project_id = $1 AND kind = $2 AND url = $3 AND deleted_at IS NULL`,
  },
};

/** PostgreSQL implementation of the webhook endpoint repository. */
export function createWebhookEndpointRepo(q: Queryable): WebhookEndpointRepo {
  return {
    insert: async (e) => void (await q.query(EP.insert, endpointParams(e))),
    update: async (e) => void (await q.query(EP.update, endpointParams(e))),
    get: async (projectId, id) => first(await q.query(EP.get, [projectId, id]), endpointFromRow),
    list: async (projectId, kind) =>
      (await (kind ? q.query(EP.listKind, [projectId, kind]) : q.query(EP.listAll, [projectId]))).rows.map(endpointFromRow),
    findByUrl: async (projectId, kind, url) => first(await q.query(EP.byUrl, [projectId, kind, url]), endpointFromRow),
  };
}

/** PostgreSQL implementation of the outbox: events, deliveries and attempts. */
export function createWebhookDeliveryRepo(q: Queryable): WebhookDeliveryRepo {
  const recordBatch = (outcomes: AttemptOutcome[]) =>
    q.query(
      ST.recordOutcomes,
      toColumns(
        outcomes.map(({ attempt: a, ...o }) => [
          a.deliverySeq, a.attempt, a.startedAt, a.durationMs, a.httpStatus, a.responseBody, a.error, a.isSuccess,
          o.version, o.status, o.nextAttemptAt, o.now, o.isHeld ? 0 : 1, headersJson(a.requestHeaders), headersJson(a.responseHeaders),
        ]),
      ),
    );
  return {
    insertEvent: async (e) =>
      ((await q.query(ST.insertEvent, [e.id, e.projectId, e.type, e.body, e.createdAt, e.sequence, e.subject, e.orchestrationId])).rowCount ?? 0) > 0,
    getEvent: async (projectId, id) => first(await q.query(ST.getEvent, [projectId, id]), eventFromRow),
    insertDeliveries: async (rows) => {
      if (rows.length === 0) return;
      const params = rows.map((r) => [
        r.eventId, r.endpointId, r.projectId, r.eventType, r.status, r.attempts, r.runAttempts, r.nextAttemptAt,
        r.lastHttpStatus, r.lastError, r.version, r.createdAt, r.updatedAt,
      ]);
      await q.query(ST.insertDeliveries, toColumns(params));
    },
    listDueEndpoints: async (seqs, endpoints) => dueEndpointsOf((await q.query(ST.dueEndpoints, [seqs, endpoints])).rows),
    listDue: async (endpointId, now, limit, seqs) =>
      (await q.query(ST.due, [endpointId, now, limit, seqs])).rows.map(dueFromRow),
    recordOutcomes: async (outcomes) => {
      if (outcomes.length === 0) return;
      // One statement per batch. A delivery listed twice would be updated once by it, where SQLite's
      // row-by-row version check applies the first and notes the second: take those one at a time.
      if (new Set(outcomes.map((o) => o.attempt.deliverySeq)).size === outcomes.length) await recordBatch(outcomes);
      else for (const o of outcomes) await recordBatch([o]);
    },
    list: async (projectId, f) => {
      const values: unknown[] = [projectId];
      const param = (v: unknown) => `$${values.push(v)}`;
      const where = ['d.project_id = $1'];
      if (f.status) where.push(`d.status = ${param(f.status)}`);
      if (f.type) where.push(`d.event_type = ${param(f.type)}`);
      if (f.endpointId) where.push(`d.endpoint_id = ${param(f.endpointId)}`);
      if (f.eventId) where.push(`d.event_id = ${param(f.eventId)}`);
      if (f.orchestrationId) {
        where.push(`d.event_id IN (SELECT e.id FROM webhook_events e WHERE e.project_id = $1 AND e.orchestration_id = ${param(f.orchestrationId)})`);
      }
      if (f.beforeSeq !== undefined) where.push(`d.seq < ${param(f.beforeSeq)}`);
      const sql = `SELECT ${ST.deliveryColumns}, ep.url FROM webhook_deliveries d
        JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
        WHERE ${where.join(' AND ')} ORDER BY d.seq DESC LIMIT ${param(f.limit)}`;
      return (await q.query(sql, values)).rows.map((r) => ({ ...deliveryFromRow(r), url: r.url as string }));
    },
    listAttempts: async (seqs) => {
      if (seqs.length === 0) return [];
      return (await q.query(ST.listAttempts, [seqs])).rows.map(attemptFromRow);
    },
    requeueEvent: async (eventId, endpoints, now) => (await q.query(ST.requeueEvent, [eventId, endpoints, now])).rowCount ?? 0,
    requeueEndpoint: async (endpointId, since, now) =>
      (await q.query(ST.requeueEndpoint, [endpointId, since, now])).rowCount ?? 0,
    endPending: async (endpointId, status, reason, now) =>
      (await q.query(ST.endPending, [endpointId, status, reason, now])).rowCount ?? 0,
    pendingSummary: async () => {
      const row = (await q.query(ST.pendingSummary)).rows[0] as Row;
      return { count: Number(row.n), oldestCreatedAt: row.oldest === null ? null : Number(row.oldest) };
    },
  };
}

const endpointParams = (e: WebhookEndpointRecord): unknown[] => [
  e.id, e.projectId, e.kind, e.url, e.secret, e.previousSecret, e.previousSecretExpiresAt, e.isEnabled, e.disabledReason,
  e.disabledAt, e.createdAt, e.updatedAt, e.deletedAt,
];

const endpointFromRow = (r: Row): WebhookEndpointRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  kind: r.kind as WebhookEndpointRecord['kind'],
  url: r.url as string,
  secret: r.secret as string,
  previousSecret: r.previous_secret as string | null,
  previousSecretExpiresAt: r.previous_secret_expires_at as number | null,
  isEnabled: r.is_enabled as boolean,
  disabledReason: r.disabled_reason as string | null,
  disabledAt: r.disabled_at as number | null,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
  deletedAt: r.deleted_at as number | null,
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

export const dueFromRow = (r: Row): DueDelivery => ({
  seq: r.seq as number,
  projectId: r.project_id as string,
  eventId: r.event_id as string,
  eventType: r.event_type as DueDelivery['eventType'],
  eventCreatedAt: r.event_created_at as number,
  sequence: r.sequence as number,
  endpointId: r.endpoint_id as string,
  body: r.body as string,
  url: r.url as string,
  secret: r.secret as string,
  previousSecret: r.previous_secret as string | null,
  previousSecretExpiresAt: r.previous_secret_expires_at as number | null,
  runAttempts: r.run_attempts as number,
  attempts: r.attempts as number,
  version: r.version as number,
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
  isSuccess: r.is_success as boolean,
});
