import { projectNameKey } from '@orra/protocol';
import { createBreakerRepo } from './breaker-repo.js';
import { createServiceHealthRepo } from './service-health-repo.js';
import { createWebhookStatsRepo } from './webhook-stats-repo.js';
import type Database from 'better-sqlite3';
import type { OpenTaskCount, Repos } from '../store.js';
import { createCompensationRepo } from './compensation-repos.js';
import { createEventLogRepo } from './event-log-repo.js';
import { createGroundingRepo } from './grounding-repos.js';
import { createRetentionRepo } from './retention-repo.js';
import { createSubmissionKeyRepo } from './submission-key-repo.js';
import { createAuditRepo, createConsoleSessionRepo } from './console-repos.js';
import { failureCountsFrom, FAILURE_COUNTS_SQL } from '../failure-counts-sql.js';
import { searchWhere } from '../orchestration-search-sql.js';
import { createWebhookDeliveryRepo, createWebhookEndpointRepo } from './webhook-repos.js';
import type {
  ApiKeyRecord,
  JournalEntry,
  OrchestrationRecord,
  ProjectRecord,
  ServiceRecord,
  TaskRecord,
} from '../records.js';

type Row = Record<string, unknown>;

/** JSON columns: `undefined` and `null` are both stored as SQL NULL. */
const toJson = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));
const fromJson = <T>(text: unknown): T => (text === null || text === undefined ? null : JSON.parse(text as string)) as T;

/** Plain synchronous repositories over one better-sqlite3 connection, wrapped in resolved promises. */
export function createSqliteRepos(db: Database.Database): Repos {
  const st = {
    failureTotals: db.prepare(FAILURE_COUNTS_SQL.sqlite.totals),
    failureGroups: db.prepare(FAILURE_COUNTS_SQL.sqlite.groups),
    insertProject: db.prepare(
      'INSERT INTO projects (id, name, name_key, created_at, webhooks, compensation_failure_webhooks) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    getProject: db.prepare('SELECT * FROM projects WHERE id = ?'),
    findProjectByName: db.prepare('SELECT * FROM projects WHERE name_key = ?'),
    insertKey: db.prepare(
      'INSERT INTO api_keys (key_hash, project_id, prefix, is_primary, created_at, role, label) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    findKey: db.prepare('SELECT * FROM api_keys WHERE key_hash = ?'),
    listKeys: db.prepare('SELECT * FROM api_keys WHERE project_id = ? ORDER BY created_at'),
    insertService: db.prepare(
      `INSERT INTO services (id, project_id, name, description, schema, revertible, kind, version, created_at, updated_at)
       VALUES (@id, @projectId, @name, @description, @schema, @revertible, @kind, @version, @createdAt, @updatedAt)`,
    ),
    updateService: db.prepare(
      `UPDATE services SET name = @name, description = @description, schema = @schema, revertible = @revertible,
       kind = @kind, version = @version, updated_at = @updatedAt WHERE id = @id AND project_id = @projectId`,
    ),
    getService: db.prepare('SELECT * FROM services WHERE project_id = ? AND id = ?'),
    listServices: db.prepare('SELECT * FROM services WHERE project_id = ? ORDER BY id'),
    upsertOrchestration: db.prepare(
      `INSERT OR REPLACE INTO orchestrations (id, project_id, action, data, plan, task_zero, status, error, results,
       abort_reason, timeout_ms, grace_ms, timeout_text, grace_text, planner, created_at, updated_at, trace_context)
       VALUES (@id, @projectId, @action, @data, @plan, @taskZero, @status, @error, @results, @abortReason, @timeoutMs,
       @graceMs, @timeoutText, @graceText, @planner, @createdAt, @updatedAt, @traceContext)`,
    ),
    // After creation only these change; rewriting the plan on every status change was measurable.
    updateOrchestration: db.prepare(
      `UPDATE orchestrations SET status = @status, error = @error, results = @results, abort_reason = @abortReason,
       updated_at = @updatedAt WHERE id = @id`,
    ),
    getOrchestration: db.prepare('SELECT * FROM orchestrations WHERE project_id = ? AND id = ?'),
    getOrchestrationById: db.prepare('SELECT * FROM orchestrations WHERE id = ?'),
    listOrchestrations: db.prepare('SELECT * FROM orchestrations WHERE project_id = ? ORDER BY created_at DESC LIMIT ?'),
    countOpenTasks: db.prepare(
      `SELECT t.service_id AS service_id, t.state AS state, COUNT(*) AS n FROM orchestrations o
       JOIN tasks t ON t.orchestration_id = o.id
       WHERE o.status IN ('pending', 'processing') AND o.project_id = ? AND t.state IN ('paused', 'processing', 'retry_wait')
       GROUP BY t.service_id, t.state`,
    ),
    listInFlight: db.prepare(
      "SELECT * FROM orchestrations WHERE status IN ('pending', 'processing') ORDER BY created_at",
    ),
    // An upsert rather than INSERT OR REPLACE: a replace deletes and re-inserts the row on every step.
    upsertTask: db.prepare(
      `INSERT INTO tasks (orchestration_id, task_id, seq, service_id, service_name, input, resolved_input,
       state, attempts, consecutive_errors, idempotency_key, execution_id, output, error, paused_since,
       next_attempt_at, compensation, completed_at, trace_context)
       VALUES (@orchestrationId, @taskId, @seq, @serviceId, @serviceName, @input, @resolvedInput, @state, @attempts,
       @consecutiveErrors, @idempotencyKey, @executionId, @output, @error, @pausedSince, @nextAttemptAt,
       @compensation, @completedAt, @traceContext)
       ON CONFLICT (orchestration_id, task_id) DO UPDATE SET resolved_input = excluded.resolved_input,
       state = excluded.state, attempts = excluded.attempts, consecutive_errors = excluded.consecutive_errors,
       idempotency_key = excluded.idempotency_key, execution_id = excluded.execution_id, output = excluded.output,
       error = excluded.error, paused_since = excluded.paused_since, next_attempt_at = excluded.next_attempt_at,
       compensation = excluded.compensation, completed_at = excluded.completed_at, trace_context = excluded.trace_context`,
    ),
    listTasks: db.prepare('SELECT * FROM tasks WHERE orchestration_id = ? ORDER BY seq'),
    findTaskByKey: db.prepare('SELECT * FROM tasks WHERE idempotency_key = ? LIMIT 1'),
    listJournal: db.prepare('SELECT * FROM journal WHERE orchestration_id = ? ORDER BY seq'),
  };
  // A task row changes at every step of its task, but only in the columns below: updating them in place
  // (positional parameters, the plan's input not re-serialised) costs about half the upsert, which stays
  // for rows not stored yet.
  const updateTask = db.prepare(
    `UPDATE tasks SET resolved_input = ?, state = ?, attempts = ?, consecutive_errors = ?, idempotency_key = ?,
     execution_id = ?, output = ?, error = ?, paused_since = ?, next_attempt_at = ?, compensation = ?,
     completed_at = ?, trace_context = ? WHERE orchestration_id = ? AND task_id = ?`,
  );
  const saveTask = (t: TaskRecord): void => {
    const updated = updateTask.run(
      toJson(t.resolvedInput),
      t.state,
      t.attempts,
      t.consecutiveErrors,
      t.idempotencyKey,
      t.executionId,
      outputJson(t),
      t.error,
      t.pausedSince,
      t.nextAttemptAt,
      toJson(t.compensation),
      t.completedAt,
      t.traceContext ?? null,
      t.orchestrationId,
      t.taskId,
    );
    if (updated.changes === 0) st.upsertTask.run(taskParams(t));
  };
  // A step appends two or three entries: one multi-row INSERT (positional parameters) per step instead of
  // one statement each, so the statement and its AUTOINCREMENT bookkeeping run once. Prepared per row count.
  const JOURNAL_ROWS_PER_INSERT = 8;
  const appendJournalRows: Database.Statement[] = [];
  const appendJournalStatement = (rows: number): Database.Statement =>
    (appendJournalRows[rows] ??= db.prepare(
      `INSERT OR IGNORE INTO journal (orchestration_id, entry_id, type, task_id, producer_id, value, attempt, at) VALUES ${Array.from(
        { length: rows },
        () => '(?, ?, ?, ?, ?, ?, ?, ?)',
      ).join(', ')}`,
    ));
  // These run inside the store's (group-committed) transaction; a nested better-sqlite3 transaction would
  // only add a SAVEPOINT round per call.
  const many = {
    tasks: (tasks: TaskRecord[]) => {
      for (const t of tasks) saveTask(t);
    },
    journal: (entries: JournalEntry[]) => {
      for (let from = 0; from < entries.length; from += JOURNAL_ROWS_PER_INSERT) {
        const chunk = entries.slice(from, from + JOURNAL_ROWS_PER_INSERT);
        const args: unknown[] = [];
        for (const e of chunk) args.push(e.orchestrationId, e.entryId, e.type, e.taskId, e.producerId, toJson(e.value), e.attempt, e.at);
        appendJournalStatement(chunk.length).run(...args);
      }
    },
  };

  return {
    compensations: createCompensationRepo(db),
    groundings: createGroundingRepo(db),
    webhookEndpoints: createWebhookEndpointRepo(db),
    webhookDeliveries: createWebhookDeliveryRepo(db),
    breakers: createBreakerRepo(db),
    events: createEventLogRepo(db),
    retention: createRetentionRepo(db),
    submissionKeys: createSubmissionKeyRepo(db),
    audit: createAuditRepo(db),
    consoleSessions: createConsoleSessionRepo(db),
    serviceHealth: createServiceHealthRepo(db),
    webhookStats: createWebhookStatsRepo(db),
    projects: {
      insert: async (p) => {
        const hooks = [toJson(p.webhooks), toJson(p.compensationFailureWebhooks)];
        st.insertProject.run(p.id, p.name, projectNameKey(p.name), p.createdAt, ...hooks);
      },
      get: async (id) => mapOptional(st.getProject.get(id), projectFromRow),
      findByName: async (name) => mapOptional(st.findProjectByName.get(projectNameKey(name)), projectFromRow),
    },
    apiKeys: {
      insert: async (k) => {
        st.insertKey.run(k.keyHash, k.projectId, k.prefix, k.isPrimary ? 1 : 0, k.createdAt, k.role, k.label);
      },
      findByHash: async (hash) => mapOptional(st.findKey.get(hash), keyFromRow),
      listByProject: async (projectId) => (st.listKeys.all(projectId) as Row[]).map(keyFromRow),
    },
    services: {
      insert: async (s) => {
        st.insertService.run(serviceParams(s));
      },
      update: async (s) => {
        st.updateService.run(serviceParams(s));
      },
      get: async (projectId, id) => mapOptional(st.getService.get(projectId, id), serviceFromRow),
      listByProject: async (projectId) => (st.listServices.all(projectId) as Row[]).map(serviceFromRow),
    },
    orchestrations: {
      insert: async (o) => {
        st.upsertOrchestration.run(orchestrationParams(o));
      },
      update: async (o) => {
        st.updateOrchestration.run({
          id: o.id,
          status: o.status,
          error: toJson(o.error),
          results: toJson(o.results),
          abortReason: toJson(o.abortReason),
          updatedAt: o.updatedAt,
        });
      },
      get: async (projectId, id) => mapOptional(st.getOrchestration.get(projectId, id), orchestrationFromRow),
      getById: async (id) => mapOptional(st.getOrchestrationById.get(id), orchestrationFromRow),
      listByProject: async (projectId, filter) =>
        (st.listOrchestrations.all(projectId, filter.limit) as Row[]).map(orchestrationFromRow),
      listInFlight: async () => (st.listInFlight.all() as Row[]).map(orchestrationFromRow),
      search: async (projectId, f) => {
        const { where, args } = searchWhere(projectId, f, () => '?', 'LIKE');
        const sql = `SELECT * FROM orchestrations o WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ?`;
        return (db.prepare(sql).all(...args, f.limit) as Row[]).map(orchestrationFromRow);
      },
      countFailures: async (projectId, { since, until, limit }) => {
        const totals = st.failureTotals.all(projectId, since, until);
        const groups = st.failureGroups.all(projectId, since, until, limit);
        return failureCountsFrom(totals as Record<string, unknown>[], groups as Record<string, unknown>[]);
      },
    },
    tasks: {
      save: async (tasks) => {
        many.tasks(tasks);
      },
      saveWithJournal: async (tasks, entries) => {
        many.tasks(tasks);
        if (entries.length > 0) many.journal(entries);
      },
      listByOrchestration: async (id) => (st.listTasks.all(id) as Row[]).map(taskFromRow),
      findByIdempotencyKey: async (key) => mapOptional(st.findTaskByKey.get(key), taskFromRow),
      countOpenByService: async (projectId) =>
        (st.countOpenTasks.all(projectId) as { service_id: string; state: OpenTaskCount['state']; n: number }[]).map((r) => ({ serviceId: r.service_id, state: r.state, count: r.n })),
      countByOrchestration: async (ids) => {
        if (ids.length === 0) return [];
        const rows = db
          .prepare(
            `SELECT orchestration_id, count(*) AS total, sum(state = 'completed') AS done
             FROM tasks WHERE orchestration_id IN (${ids.map(() => '?').join(',')}) GROUP BY orchestration_id`,
          )
          .all(...ids) as { orchestration_id: string; total: number; done: number }[];
        return rows.map((r) => ({ orchestrationId: r.orchestration_id, total: r.total, done: r.done }));
      },
    },
    journal: {
      append: async (entries) => {
        if (entries.length > 0) many.journal(entries);
      },
      listByOrchestration: async (id) => (st.listJournal.all(id) as Row[]).map(journalFromRow),
    },
  };
}

function mapOptional<T>(row: unknown, map: (row: Row) => T): T | undefined {
  return row === undefined ? undefined : map(row as Row);
}

const projectFromRow = (r: Row): ProjectRecord => ({
  id: r.id as string,
  name: r.name as string,
  createdAt: r.created_at as number,
  webhooks: fromJson<string[]>(r.webhooks) ?? [],
  compensationFailureWebhooks: fromJson<string[]>(r.compensation_failure_webhooks) ?? [],
});

const keyFromRow = (r: Row): ApiKeyRecord => ({
  keyHash: r.key_hash as string,
  projectId: r.project_id as string,
  prefix: r.prefix as string,
  isPrimary: r.is_primary === 1,
  createdAt: r.created_at as number,
  role: r.role === 'read' ? 'read' : 'operate',
  label: (r.label as string | null) ?? null,
});

const serviceParams = (s: ServiceRecord) => ({ ...s, schema: JSON.stringify(s.schema), revertible: s.revertible ? 1 : 0 });

const serviceFromRow = (r: Row): ServiceRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  name: r.name as string,
  description: r.description as string,
  schema: fromJson(r.schema),
  revertible: r.revertible === 1,
  kind: r.kind as ServiceRecord['kind'],
  version: r.version as number,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

const orchestrationParams = (o: OrchestrationRecord) => ({
  id: o.id,
  projectId: o.projectId,
  action: o.action,
  data: toJson(o.data),
  plan: toJson(o.plan),
  taskZero: JSON.stringify(o.taskZero),
  status: o.status,
  error: toJson(o.error),
  results: toJson(o.results),
  abortReason: toJson(o.abortReason),
  timeoutMs: o.timeoutMs,
  graceMs: o.healthCheckGracePeriodMs,
  timeoutText: o.timeoutText,
  graceText: o.healthCheckGracePeriodText,
  planner: o.planner,
  createdAt: o.createdAt,
  updatedAt: o.updatedAt,
  traceContext: o.traceContext ?? null,
});

const orchestrationFromRow = (r: Row): OrchestrationRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  action: r.action as string,
  data: fromJson(r.data),
  plan: fromJson(r.plan),
  taskZero: fromJson(r.task_zero),
  status: r.status as OrchestrationRecord['status'],
  error: fromJson(r.error),
  results: fromJson(r.results),
  abortReason: fromJson(r.abort_reason),
  timeoutMs: r.timeout_ms as number,
  healthCheckGracePeriodMs: r.grace_ms as number,
  timeoutText: r.timeout_text as string | null,
  healthCheckGracePeriodText: r.grace_text as string | null,
  planner: r.planner as string,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
  ...traceContextOf(r),
});

const taskParams = (t: TaskRecord) => ({
  ...t,
  input: JSON.stringify(t.input),
  resolvedInput: toJson(t.resolvedInput),
  output: outputJson(t),
  compensation: toJson(t.compensation),
  traceContext: t.traceContext ?? null,
});

/** Outputs may legitimately be null; a completed task stores JSON text so "null output" and "no output" differ. */
const outputJson = (t: TaskRecord): string | null => (t.state === 'completed' ? JSON.stringify(t.output ?? null) : toJson(t.output));

const taskFromRow = (r: Row): TaskRecord => ({
  orchestrationId: r.orchestration_id as string,
  taskId: r.task_id as string,
  seq: r.seq as number,
  serviceId: r.service_id as string,
  serviceName: r.service_name as string,
  input: fromJson(r.input),
  resolvedInput: fromJson(r.resolved_input),
  state: r.state as TaskRecord['state'],
  attempts: r.attempts as number,
  consecutiveErrors: r.consecutive_errors as number,
  idempotencyKey: r.idempotency_key as string | null,
  executionId: r.execution_id as string | null,
  output: fromJson(r.output),
  error: r.error as string | null,
  pausedSince: r.paused_since as number | null,
  nextAttemptAt: r.next_attempt_at as number | null,
  compensation: fromJson(r.compensation),
  completedAt: r.completed_at as number | null,
  ...traceContextOf(r),
});

const journalFromRow = (r: Row): JournalEntry => ({
  orchestrationId: r.orchestration_id as string,
  type: r.type as JournalEntry['type'],
  entryId: r.entry_id as string,
  taskId: r.task_id as string | null,
  producerId: r.producer_id as string,
  value: fromJson(r.value),
  attempt: r.attempt as number,
  at: r.at as number,
});

/** The stored trace context, only when there is one (records written with tracing off have none). */
function traceContextOf(r: Row): { traceContext?: string } {
  return typeof r.trace_context === 'string' ? { traceContext: r.trace_context } : {};
}
