import type {
  CompensationAuditEntry,
  CompensationRecord,
  CompensationRepo,
  CompensationSummary,
} from '../compensation-records.js';
import { lastPerKey, toColumns } from './batch-rows.js';
import { first, toJson, type Queryable, type Row } from './queryable.js';

const COLUMNS = [
  'id', 'project_id', 'orchestration_id', 'task_id', 'service_id', 'service_name', 'position', 'status', 'data',
  'ttl_ms', 'context', 'task_input', 'task_completed_at', 'idempotency_key', 'execution_id', 'attempts',
  'max_attempts', 'next_attempt_at', 'last_error', 'partial', 'failed_at', 'resolution_state', 'resolution',
  'resolved_at', 'created_at', 'updated_at', 'trace_context',
];
const TYPES = [
  'text', 'text', 'text', 'text', 'text', 'text', 'int', 'text', 'json', 'bigint', 'json', 'json', 'bigint', 'text',
  'text', 'int', 'int', 'bigint', 'text', 'json', 'bigint', 'text', 'text', 'bigint', 'bigint', 'bigint', 'text',
];
const SELECT = `SELECT ${COLUMNS.join(', ')} FROM compensations`;
const AUDIT = 'compensation_id, at, key_id, action, reason, previous_state, new_state';

const ST = {
  // SQLite's INSERT OR REPLACE keyed by id; any number of records in one statement. The process that
  // writes a compensation owns it from then on (owner_node defaults to its orra.node setting).
  save: {
    name: 'orra_compensation_save',
    text: `INSERT INTO compensations (${COLUMNS.join(', ')})
      SELECT * FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
      ON CONFLICT (id) DO UPDATE SET ${COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
        owner_node = DEFAULT`,
  },
  get: { name: 'orra_compensation_get', text: `${SELECT} WHERE id = $1` },
  byKey: { name: 'orra_compensation_by_key', text: `${SELECT} WHERE idempotency_key = $1 LIMIT 1` },
  byOrchestration: {
    name: 'orra_compensation_by_orchestration',
    text: `${SELECT} WHERE orchestration_id = $1 ORDER BY position`,
  },
  active: {
    name: 'orra_compensation_active',
    text: `${SELECT} WHERE status IN ('pending', 'waiting', 'processing') ORDER BY orchestration_id COLLATE "C", position`,
  },
  countPending: {
    name: 'orra_compensation_count_pending',
    text: "SELECT count(*) AS n FROM compensations WHERE failed_at IS NOT NULL AND resolution_state = 'pending'",
  },
  // count(*) FILTER rather than sum(boolean): the sums would come back as numeric, i.e. strings.
  summarize: {
    name: 'orra_compensation_summarize',
    text: `SELECT orchestration_id, count(*) AS total,
        count(*) FILTER (WHERE status IN ('completed', 'partial')) AS completed,
        count(*) FILTER (WHERE status IN ('failed', 'expired')) AS failed,
        count(*) FILTER (WHERE status IN ('pending', 'waiting', 'processing')) AS active
      FROM compensations WHERE orchestration_id = ANY($1::text[])
      GROUP BY orchestration_id ORDER BY orchestration_id COLLATE "C"`,
  },
  insertAudit: {
    name: 'orra_compensation_audit_insert',
    text: `INSERT INTO compensation_audit (${AUDIT}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  },
  listAudit: {
    name: 'orra_compensation_audit_list',
    text: `SELECT ${AUDIT} FROM compensation_audit WHERE compensation_id = $1 ORDER BY seq`,
  },
};

/** PostgreSQL implementation of the compensation repository. */
export function createCompensationRepo(q: Queryable): CompensationRepo {
  return {
    save: async (records) => {
      if (records.length === 0) return;
      await q.query(ST.save, toColumns(lastPerKey(records, (r) => r.id).map(toParams)));
    },
    get: async (id) => first(await q.query(ST.get, [id]), fromRow),
    listByOrchestration: async (id) => (await q.query(ST.byOrchestration, [id])).rows.map(fromRow),
    findByIdempotencyKey: async (key) => first(await q.query(ST.byKey, [key]), fromRow),
    listActive: async () => (await q.query(ST.active)).rows.map(fromRow),
    countFailed: async (projectId, filter) => {
      const values: unknown[] = [projectId];
      const param = (v: unknown) => `$${values.push(v)}`;
      const where = ['project_id = $1', 'failed_at IS NOT NULL'];
      if (filter.resolution) where.push(`resolution_state = ${param(filter.resolution)}`);
      if (filter.orchestrationId) where.push(`orchestration_id = ${param(filter.orchestrationId)}`);
      if (filter.service) {
        const p = param(filter.service);
        where.push(`(service_id = ${p} OR lower(service_name) = lower(${p}))`);
      }
      return Number((await q.query(`SELECT count(*) AS n FROM compensations WHERE ${where.join(' AND ')}`, values)).rows[0]?.n ?? 0);
    },
    listFailed: async (projectId, filter) => {
      const values: unknown[] = [projectId];
      const param = (v: unknown) => `$${values.push(v)}`;
      const where = ['project_id = $1', 'failed_at IS NOT NULL'];
      if (filter.resolution) where.push(`resolution_state = ${param(filter.resolution)}`);
      if (filter.orchestrationId) where.push(`orchestration_id = ${param(filter.orchestrationId)}`);
      if (filter.service) {
        const p = param(filter.service);
        where.push(`(service_id = ${p} OR lower(service_name) = lower(${p}))`);
      }
      // LIMIT NULL means no limit, as SQLite's LIMIT -1. Few filter combinations: unnamed statements suffice.
      const order = filter.isOldestFirst ? 'failed_at ASC, id COLLATE "C" ASC' : 'failed_at DESC, id COLLATE "C" DESC';
      const sql = `${SELECT} WHERE ${where.join(' AND ')} ORDER BY ${order}
        LIMIT ${param(filter.limit ?? null)} OFFSET ${param(filter.offset ?? 0)}`;
      return (await q.query(sql, values)).rows.map(fromRow);
    },
    countPendingFailures: async () => (await q.query(ST.countPending)).rows[0]?.n as number,
    summarize: async (ids) => {
      if (ids.length === 0) return [];
      return (await q.query(ST.summarize, [ids])).rows.map(
        (r): CompensationSummary => ({
          orchestrationId: r.orchestration_id as string,
          total: r.total as number,
          completed: r.completed as number,
          failed: r.failed as number,
          active: r.active as number,
        }),
      );
    },
    appendAudit: async (e) => {
      await q.query(ST.insertAudit, [e.compensationId, e.at, e.keyId, e.action, e.reason, e.previousState, e.newState]);
    },
    listAudit: async (id) =>
      (await q.query(ST.listAudit, [id])).rows.map(
        (r): CompensationAuditEntry => ({
          compensationId: r.compensation_id as string,
          at: r.at as number,
          keyId: r.key_id as string,
          action: r.action as CompensationAuditEntry['action'],
          reason: r.reason as string | null,
          previousState: r.previous_state as CompensationAuditEntry['previousState'],
          newState: r.new_state as CompensationAuditEntry['newState'],
        }),
      ),
  };
}

function toParams(r: CompensationRecord): unknown[] {
  return [
    r.id, r.projectId, r.orchestrationId, r.taskId, r.serviceId, r.serviceName, r.position, r.status, toJson(r.data),
    r.ttlMs, JSON.stringify(r.context), toJson(r.taskInput), r.taskCompletedAt, r.idempotencyKey, r.executionId,
    r.attempts, r.maxAttempts, r.nextAttemptAt, r.lastError, toJson(r.partial), r.failedAt, r.resolutionState,
    r.resolution, r.resolvedAt, r.createdAt, r.updatedAt, r.traceContext ?? null,
  ];
}

function fromRow(r: Row): CompensationRecord {
  return {
    id: r.id as string,
    projectId: r.project_id as string,
    orchestrationId: r.orchestration_id as string,
    taskId: r.task_id as string,
    serviceId: r.service_id as string,
    serviceName: r.service_name as string,
    position: r.position as number,
    status: r.status as CompensationRecord['status'],
    data: r.data,
    ttlMs: r.ttl_ms as number,
    context: r.context as CompensationRecord['context'],
    taskInput: r.task_input,
    taskCompletedAt: r.task_completed_at as number,
    idempotencyKey: r.idempotency_key as string,
    executionId: r.execution_id as string | null,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
    nextAttemptAt: r.next_attempt_at as number | null,
    lastError: r.last_error as string | null,
    partial: r.partial,
    failedAt: r.failed_at as number | null,
    resolutionState: r.resolution_state as CompensationRecord['resolutionState'],
    resolution: r.resolution as string | null,
    resolvedAt: r.resolved_at as number | null,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
    ...traceContextOf(r),
  };
}

/** The stored trace context, only when there is one (records written with tracing off have none). */
function traceContextOf(r: Row): { traceContext?: string } {
  return typeof r.trace_context === 'string' ? { traceContext: r.trace_context } : {};
}
