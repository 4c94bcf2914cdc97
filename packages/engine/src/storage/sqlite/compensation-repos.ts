import type Database from 'better-sqlite3';
import type {
  CompensationAuditEntry,
  CompensationRecord,
  CompensationRepo,
  CompensationSummary,
} from '../compensation-records.js';

type Row = Record<string, unknown>;
const toJson = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
const fromJson = <T>(t: unknown): T => (t === null || t === undefined ? null : JSON.parse(t as string)) as T;

const COLUMNS = [
  'id', 'project_id', 'orchestration_id', 'task_id', 'service_id', 'service_name', 'position', 'status', 'data',
  'ttl_ms', 'context', 'task_input', 'task_completed_at', 'idempotency_key', 'execution_id', 'attempts',
  'max_attempts', 'next_attempt_at', 'last_error', 'partial', 'failed_at', 'resolution_state', 'resolution',
  'resolved_at', 'created_at', 'updated_at', 'trace_context',
];

/** SQLite implementation of the compensation repository. */
export function createCompensationRepo(db: Database.Database): CompensationRepo {
  const upsert = db.prepare(
    `INSERT OR REPLACE INTO compensations (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`,
  );
  const saveMany = db.transaction((records: CompensationRecord[]) => {
    for (const r of records) upsert.run(toRow(r));
  });
  const get = db.prepare('SELECT * FROM compensations WHERE id = ?');
  const byKey = db.prepare('SELECT * FROM compensations WHERE idempotency_key = ? LIMIT 1');
  const byOrchestration = db.prepare('SELECT * FROM compensations WHERE orchestration_id = ? ORDER BY position');
  const active = db.prepare(
    "SELECT * FROM compensations WHERE status IN ('pending', 'waiting', 'processing') ORDER BY orchestration_id, position",
  );
  const countPending = db.prepare(
    "SELECT count(*) AS n FROM compensations WHERE failed_at IS NOT NULL AND resolution_state = 'pending'",
  );
  const insertAudit = db.prepare(
    `INSERT INTO compensation_audit (compensation_id, at, key_id, action, reason, previous_state, new_state)
     VALUES (@compensationId, @at, @keyId, @action, @reason, @previousState, @newState)`,
  );
  const listAudit = db.prepare('SELECT * FROM compensation_audit WHERE compensation_id = ? ORDER BY seq');

  return {
    save: async (records) => {
      if (records.length === 1) upsert.run(toRow(records[0] as CompensationRecord));
      else if (records.length > 1) saveMany(records);
    },
    get: async (id) => {
      const row = get.get(id) as Row | undefined;
      return row ? fromRow(row) : undefined;
    },
    listByOrchestration: async (id) => (byOrchestration.all(id) as Row[]).map(fromRow),
    findByIdempotencyKey: async (key) => {
      const row = byKey.get(key) as Row | undefined;
      return row ? fromRow(row) : undefined;
    },
    listActive: async () => (active.all() as Row[]).map(fromRow),
    countFailed: async (projectId, filter) => {
      const where = [filter.orchestrationId ? '+project_id = @projectId' : 'project_id = @projectId', 'failed_at IS NOT NULL'];
      if (filter.resolution) where.push('resolution_state = @resolution');
      if (filter.orchestrationId) where.push('orchestration_id = @orchestrationId');
      if (filter.service) where.push('(service_id = @service OR lower(service_name) = lower(@service))');
      const row = db.prepare(`SELECT count(*) AS n FROM compensations WHERE ${where.join(' AND ')}`).get({
        projectId,
        resolution: filter.resolution ?? null,
        orchestrationId: filter.orchestrationId ?? null,
        service: filter.service ?? null,
      }) as { n: number };
      return row.n;
    },
    listFailed: async (projectId, filter) => {
      // With an orchestration filter, the (orchestration_id, task_id) index finds the few rows at once;
      // the unary + keeps SQLite from preferring the project index and scanning every failure instead.
      const where = [filter.orchestrationId ? '+project_id = @projectId' : 'project_id = @projectId', 'failed_at IS NOT NULL'];
      if (filter.resolution) where.push('resolution_state = @resolution');
      if (filter.orchestrationId) where.push('orchestration_id = @orchestrationId');
      if (filter.service) where.push('(service_id = @service OR lower(service_name) = lower(@service))');
      const order = filter.isOldestFirst ? 'failed_at ASC, id ASC' : 'failed_at DESC, id DESC';
      const sql = `SELECT * FROM compensations WHERE ${where.join(' AND ')} ORDER BY ${order}
        LIMIT @limit OFFSET @offset`;
      // Filters vary per call; better-sqlite3 caches nothing here, but the statement text has few variants.
      return (
        db.prepare(sql).all({
          projectId,
          resolution: filter.resolution ?? null,
          orchestrationId: filter.orchestrationId ?? null,
          service: filter.service ?? null,
          limit: filter.limit ?? -1,
          offset: filter.offset ?? 0,
        }) as Row[]
      ).map(fromRow);
    },
    countPendingFailures: async () => (countPending.get() as { n: number }).n,
    summarize: async (ids) => {
      if (ids.length === 0) return [];
      const rows = db
        .prepare(
          `SELECT orchestration_id, count(*) AS total,
             sum(status IN ('completed', 'partial')) AS completed,
             sum(status IN ('failed', 'expired')) AS failed,
             sum(status IN ('pending', 'waiting', 'processing')) AS active
           FROM compensations WHERE orchestration_id IN (${ids.map(() => '?').join(',')}) GROUP BY orchestration_id`,
        )
        .all(...ids) as Row[];
      return rows.map(
        (r): CompensationSummary => ({
          orchestrationId: r.orchestration_id as string,
          total: r.total as number,
          completed: r.completed as number,
          failed: r.failed as number,
          active: r.active as number,
        }),
      );
    },
    appendAudit: async (entry) => {
      insertAudit.run(entry);
    },
    listAudit: async (id) =>
      (listAudit.all(id) as Row[]).map(
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

function toRow(r: CompensationRecord): Row {
  return {
    id: r.id,
    project_id: r.projectId,
    orchestration_id: r.orchestrationId,
    task_id: r.taskId,
    service_id: r.serviceId,
    service_name: r.serviceName,
    position: r.position,
    status: r.status,
    data: toJson(r.data),
    ttl_ms: r.ttlMs,
    context: JSON.stringify(r.context),
    task_input: toJson(r.taskInput),
    task_completed_at: r.taskCompletedAt,
    idempotency_key: r.idempotencyKey,
    execution_id: r.executionId,
    attempts: r.attempts,
    max_attempts: r.maxAttempts,
    next_attempt_at: r.nextAttemptAt,
    last_error: r.lastError,
    partial: toJson(r.partial),
    failed_at: r.failedAt,
    resolution_state: r.resolutionState,
    resolution: r.resolution,
    resolved_at: r.resolvedAt,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    trace_context: r.traceContext ?? null,
  };
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
    data: fromJson(r.data),
    ttlMs: r.ttl_ms as number,
    context: fromJson(r.context),
    taskInput: fromJson(r.task_input),
    taskCompletedAt: r.task_completed_at as number,
    idempotencyKey: r.idempotency_key as string,
    executionId: r.execution_id as string | null,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
    nextAttemptAt: r.next_attempt_at as number | null,
    lastError: r.last_error as string | null,
    partial: fromJson(r.partial),
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
