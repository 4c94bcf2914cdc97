import { projectNameKey } from '@orra/protocol';
import { createBreakerRepo } from './breaker-repo.js';
import { createServiceHealthRepo } from './service-health-repo.js';
import { createWebhookStatsRepo } from './webhook-stats-repo.js';
import type { OpenTaskCount, Repos } from '../store.js';
import type { ApiKeyRecord, JournalEntry, OrchestrationRecord, ProjectRecord, ServiceRecord, TaskRecord } from '../records.js';
import { lastPerKey, toColumns } from './batch-rows.js';
import { createCompensationRepo } from './compensation-repos.js';
import { createRetentionRepo } from './retention-repo.js';
import { createSubmissionKeyRepo } from './submission-key-repo.js';
import { createAuditRepo, createConsoleSessionRepo } from './console-repos.js';
import { failureCountsFrom, FAILURE_COUNTS_SQL } from '../failure-counts-sql.js';
import { searchWhere } from '../orchestration-search-sql.js';
import { createEventLogRepo } from './event-log-repo.js';
import { createGroundingRepo } from './grounding-repos.js';
import { first, toJson, type Queryable, type Row } from './queryable.js';
import { createWebhookDeliveryRepo, createWebhookEndpointRepo } from './webhook-repos.js';

const PROJECT = 'id, name, created_at, webhooks, compensation_failure_webhooks';
const KEY = 'key_hash, project_id, prefix, is_primary, created_at, role, label';
const SERVICE = 'id, project_id, name, description, schema, revertible, kind, version, created_at, updated_at';
const ORCHESTRATION = `id, project_id, action, data, plan, task_zero, status, error, results, abort_reason, timeout_ms,
  grace_ms, timeout_text, grace_text, planner, created_at, updated_at, trace_context`;
const TASK = `orchestration_id, task_id, seq, service_id, service_name, input, resolved_input, state, attempts,
  consecutive_errors, idempotency_key, execution_id, output, error, paused_since, next_attempt_at, compensation, completed_at, trace_context`;
const JOURNAL = 'orchestration_id, entry_id, type, task_id, producer_id, value, attempt, at';

/**
 * Fixed statements, prepared once per connection. Where SQLite's order of ties falls back on its implicit
 * rowid (insertion order), the PostgreSQL tables have an explicit `rowid` column to order by.
 */
const ST = {
  insertProject: {
    name: 'orra_project_insert',
    text: `INSERT INTO projects (${PROJECT}, name_key) VALUES ($1, $2, $3, $4, $5, $6)`,
  },
  getProject: { name: 'orra_project_get', text: `SELECT ${PROJECT} FROM projects WHERE id = $1` },
  findProjectByName: { name: 'orra_project_find_by_name', text: `SELECT ${PROJECT} FROM projects WHERE name_key = $1` },
  insertKey: { name: 'orra_key_insert', text: `INSERT INTO api_keys (${KEY}) VALUES ($1, $2, $3, $4, $5, $6, $7)` },
  findKey: { name: 'orra_key_find', text: `SELECT ${KEY} FROM api_keys WHERE key_hash = $1` },
  listKeys: {
    name: 'orra_key_list',
    text: `SELECT ${KEY} FROM api_keys WHERE project_id = $1 ORDER BY created_at, rowid`,
  },
  insertService: {
    name: 'orra_service_insert',
    text: `INSERT INTO services (${SERVICE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
  },
  updateService: {
    name: 'orra_service_update',
    text: `UPDATE services SET name = $3, description = $4, schema = $5, revertible = $6, kind = $7, version = $8,
      updated_at = $9 WHERE id = $1 AND project_id = $2`,
  },
  getService: { name: 'orra_service_get', text: `SELECT ${SERVICE} FROM services WHERE project_id = $1 AND id = $2` },
  listServices: {
    name: 'orra_service_list',
    text: `SELECT ${SERVICE} FROM services WHERE project_id = $1 ORDER BY id COLLATE "C"`,
  },
  // SQLite's INSERT OR REPLACE: an insert of an existing id writes the whole row again.
  upsertOrchestration: {
    name: 'orra_orchestration_upsert',
    text: `INSERT INTO orchestrations (${ORCHESTRATION})
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
      ON CONFLICT (id) DO UPDATE SET project_id = EXCLUDED.project_id, action = EXCLUDED.action, data = EXCLUDED.data,
        plan = EXCLUDED.plan, task_zero = EXCLUDED.task_zero, status = EXCLUDED.status, error = EXCLUDED.error,
        results = EXCLUDED.results, abort_reason = EXCLUDED.abort_reason, timeout_ms = EXCLUDED.timeout_ms,
        grace_ms = EXCLUDED.grace_ms, timeout_text = EXCLUDED.timeout_text, grace_text = EXCLUDED.grace_text,
        planner = EXCLUDED.planner, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
        trace_context = EXCLUDED.trace_context`,
  },
  // After creation only these change; rewriting the plan on every status change would be wasted bytes.
  updateOrchestration: {
    name: 'orra_orchestration_update',
    text: `UPDATE orchestrations SET status = $2, error = $3, results = $4, abort_reason = $5, updated_at = $6 WHERE id = $1`,
  },
  getOrchestration: {
    name: 'orra_orchestration_get',
    text: `SELECT ${ORCHESTRATION} FROM orchestrations WHERE project_id = $1 AND id = $2`,
  },
  getOrchestrationById: { name: 'orra_orchestration_get_by_id', text: `SELECT ${ORCHESTRATION} FROM orchestrations WHERE id = $1` },
  listOrchestrations: {
    name: 'orra_orchestration_list',
    text: `SELECT ${ORCHESTRATION} FROM orchestrations WHERE project_id = $1
      ORDER BY created_at DESC, rowid LIMIT $2`,
  },
  countOpenTasks: {
    name: 'orra_task_count_open',
    text: `SELECT t.service_id AS service_id, t.state AS state, COUNT(*) AS n FROM orchestrations o
       JOIN tasks t ON t.orchestration_id = o.id
       WHERE o.status IN ('pending', 'processing') AND o.project_id = $1 AND t.state IN ('paused', 'processing', 'retry_wait')
       GROUP BY t.service_id, t.state`,
  },
  listInFlight: {
    name: 'orra_orchestration_in_flight',
    text: `SELECT ${ORCHESTRATION} FROM orchestrations WHERE status IN ('pending', 'processing')
      ORDER BY created_at, rowid`,
  },
  // One statement for any number of rows: the columns travel as arrays (one text, so it stays prepared).
  // As on SQLite, a task saved again keeps its plan fields (seq, service, input) and updates the rest.
  saveTasks: {
    name: 'orra_task_save',
    text: `INSERT INTO tasks (${TASK})
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::json[], $7::json[], $8::text[],
        $9::int[], $10::int[], $11::text[], $12::text[], $13::json[], $14::text[], $15::bigint[], $16::bigint[],
        $17::json[], $18::bigint[], $19::text[])
      ON CONFLICT (orchestration_id, task_id) DO UPDATE SET resolved_input = EXCLUDED.resolved_input,
        state = EXCLUDED.state, attempts = EXCLUDED.attempts, consecutive_errors = EXCLUDED.consecutive_errors,
        idempotency_key = EXCLUDED.idempotency_key, execution_id = EXCLUDED.execution_id, output = EXCLUDED.output,
        error = EXCLUDED.error, paused_since = EXCLUDED.paused_since, next_attempt_at = EXCLUDED.next_attempt_at,
        compensation = EXCLUDED.compensation, completed_at = EXCLUDED.completed_at,
        trace_context = EXCLUDED.trace_context`,
  },
  // count(*) FILTER rather than sum(boolean), which would come back as numeric, i.e. a string.
  countTasks: {
    name: 'orra_task_count_by_orchestration',
    text: `SELECT orchestration_id, count(*) AS total, count(*) FILTER (WHERE state = 'completed') AS done
      FROM tasks WHERE orchestration_id = ANY($1::text[]) GROUP BY orchestration_id`,
  },
  listTasks: { name: 'orra_task_list', text: `SELECT ${TASK} FROM tasks WHERE orchestration_id = $1 ORDER BY seq` },
  findTaskByKey: { name: 'orra_task_by_key', text: `SELECT ${TASK} FROM tasks WHERE idempotency_key = $1 LIMIT 1` },
  // WITH ORDINALITY … ORDER BY: journal seqs follow the order of the entries given.
  appendJournal: {
    name: 'orra_journal_append',
    text: `INSERT INTO journal (${JOURNAL})
      SELECT o, e, ty, t, p, v, a, at FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
        $6::json[], $7::int[], $8::bigint[]) WITH ORDINALITY AS x(o, e, ty, t, p, v, a, at, n) ORDER BY n
      ON CONFLICT (orchestration_id, entry_id) DO NOTHING`,
  },
  // A step's writes in one round trip: the two statements above as data-modifying CTEs of one statement
  // (the tasks' parameters first, then the journal's).
  saveTasksWithJournal: {
    name: 'orra_task_save_with_journal',
    text: `WITH saved AS (INSERT INTO tasks (${TASK})
      SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::json[], $7::json[], $8::text[],
        $9::int[], $10::int[], $11::text[], $12::text[], $13::json[], $14::text[], $15::bigint[], $16::bigint[],
        $17::json[], $18::bigint[], $19::text[])
      ON CONFLICT (orchestration_id, task_id) DO UPDATE SET resolved_input = EXCLUDED.resolved_input,
        state = EXCLUDED.state, attempts = EXCLUDED.attempts, consecutive_errors = EXCLUDED.consecutive_errors,
        idempotency_key = EXCLUDED.idempotency_key, execution_id = EXCLUDED.execution_id, output = EXCLUDED.output,
        error = EXCLUDED.error, paused_since = EXCLUDED.paused_since, next_attempt_at = EXCLUDED.next_attempt_at,
        compensation = EXCLUDED.compensation, completed_at = EXCLUDED.completed_at,
        trace_context = EXCLUDED.trace_context),
      appended AS (INSERT INTO journal (${JOURNAL})
      SELECT o, e, ty, t, p, v, a, at FROM unnest($20::text[], $21::text[], $22::text[], $23::text[], $24::text[],
        $25::json[], $26::int[], $27::bigint[]) WITH ORDINALITY AS x(o, e, ty, t, p, v, a, at, n) ORDER BY n
      ON CONFLICT (orchestration_id, entry_id) DO NOTHING)
      SELECT 1`,
  },
  listJournal: {
    name: 'orra_journal_list',
    text: `SELECT ${JOURNAL} FROM journal WHERE orchestration_id = $1 ORDER BY seq`,
  },
};

/**
 * The repositories over the pool or over one transaction's client. Reads are one round trip each; the
 * writes of a step and of an orchestration's creation use `exec`, so in a transaction they are pipelined
 * and cost no round trip of their own.
 */
export function createPostgresRepos(q: Queryable, onSequence?: (projectId: string) => void): Repos {
  return {
    compensations: createCompensationRepo(q),
    groundings: createGroundingRepo(q),
    webhookEndpoints: createWebhookEndpointRepo(q),
    webhookDeliveries: createWebhookDeliveryRepo(q),
    breakers: createBreakerRepo(q),
    events: createEventLogRepo(q, onSequence),
    retention: createRetentionRepo(q),
    submissionKeys: createSubmissionKeyRepo(q),
    audit: createAuditRepo(q),
    consoleSessions: createConsoleSessionRepo(q),
    serviceHealth: createServiceHealthRepo(q),
    webhookStats: createWebhookStatsRepo(q),
    projects: {
      insert: async (p) => {
        const hooks = [JSON.stringify(p.webhooks), JSON.stringify(p.compensationFailureWebhooks)];
        await q.query(ST.insertProject, [p.id, p.name, p.createdAt, ...hooks, projectNameKey(p.name)]);
      },
      get: async (id) => first(await q.query(ST.getProject, [id]), projectFromRow),
      findByName: async (name) => first(await q.query(ST.findProjectByName, [projectNameKey(name)]), projectFromRow),
    },
    apiKeys: {
      insert: async (k) => {
        await q.query(ST.insertKey, [k.keyHash, k.projectId, k.prefix, k.isPrimary, k.createdAt, k.role, k.label]);
      },
      findByHash: async (hash) => first(await q.query(ST.findKey, [hash]), keyFromRow),
      listByProject: async (projectId) => (await q.query(ST.listKeys, [projectId])).rows.map(keyFromRow),
    },
    services: {
      insert: async (s) => {
        await q.query(ST.insertService, serviceParams(s));
      },
      update: async (s) => {
        const [id, projectId, name, description, schema, revertible, kind, version, , updatedAt] = serviceParams(s);
        await q.query(ST.updateService, [id, projectId, name, description, schema, revertible, kind, version, updatedAt]);
      },
      get: async (projectId, id) => first(await q.query(ST.getService, [projectId, id]), serviceFromRow),
      listByProject: async (projectId) => (await q.query(ST.listServices, [projectId])).rows.map(serviceFromRow),
    },
    orchestrations: {
      insert: async (o) => {
        await q.exec(ST.upsertOrchestration, orchestrationParams(o));
      },
      update: async (o) => {
        const values = [o.id, o.status, toJson(o.error), toJson(o.results), toJson(o.abortReason), o.updatedAt];
        await q.exec(ST.updateOrchestration, values);
      },
      get: async (projectId, id) =>
        first(await q.query(ST.getOrchestration, [projectId, id]), orchestrationFromRow),
      getById: async (id) => first(await q.query(ST.getOrchestrationById, [id]), orchestrationFromRow),
      listByProject: async (projectId, filter) =>
        (await q.query(ST.listOrchestrations, [projectId, filter.limit])).rows.map(orchestrationFromRow),
      listInFlight: async () => (await q.query(ST.listInFlight)).rows.map(orchestrationFromRow),
      search: async (projectId, f) => {
        let n = 0;
        const { where, args } = searchWhere(projectId, f, () => `$${++n}`, 'ILIKE', 'id COLLATE "C"');
        const sql = `SELECT ${ORCHESTRATION} FROM orchestrations o WHERE ${where} ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $${++n}`;
        return (await q.query(sql, [...args, f.limit])).rows.map(orchestrationFromRow);
      },
      countFailures: async (projectId, { since, until, limit }) => {
        const [totals, groups] = await Promise.all([
          q.query(FAILURE_COUNTS_SQL.postgres.totals, [projectId, since, until]),
          q.query(FAILURE_COUNTS_SQL.postgres.groups, [projectId, since, until, limit]),
        ]);
        return failureCountsFrom(totals.rows, groups.rows);
      },
    },
    tasks: {
      save: async (tasks) => {
        if (tasks.length === 0) return;
        await q.exec(ST.saveTasks, toColumns(taskRows(tasks)));
      },
      saveWithJournal: async (tasks, entries) => {
        if (tasks.length === 0 || entries.length === 0) {
          if (tasks.length > 0) await q.exec(ST.saveTasks, toColumns(taskRows(tasks)));
          if (entries.length > 0) await q.exec(ST.appendJournal, toColumns(entries.map(journalParams)));
          return;
        }
        await q.exec(ST.saveTasksWithJournal, [...toColumns(taskRows(tasks)), ...toColumns(entries.map(journalParams))]);
      },
      listByOrchestration: async (id) => (await q.query(ST.listTasks, [id])).rows.map(taskFromRow),
      findByIdempotencyKey: async (key) => first(await q.query(ST.findTaskByKey, [key]), taskFromRow),
      countOpenByService: async (projectId) =>
        (await q.query(ST.countOpenTasks, [projectId])).rows.map((r) => ({ serviceId: String(r.service_id), state: r.state as OpenTaskCount['state'], count: Number(r.n) })),
      countByOrchestration: async (ids) => {
        if (ids.length === 0) return [];
        return (await q.query(ST.countTasks, [ids])).rows.map((r) => ({ orchestrationId: String(r.orchestration_id), total: Number(r.total), done: Number(r.done) }));
      },
    },
    journal: {
      append: async (entries) => {
        if (entries.length > 0) await q.exec(ST.appendJournal, toColumns(entries.map(journalParams)));
      },
      listByOrchestration: async (id) => (await q.query(ST.listJournal, [id])).rows.map(journalFromRow),
    },
  };
}

const projectFromRow = (r: Row): ProjectRecord => ({
  id: r.id as string,
  name: r.name as string,
  createdAt: r.created_at as number,
  webhooks: (r.webhooks as string[] | null) ?? [],
  compensationFailureWebhooks: (r.compensation_failure_webhooks as string[] | null) ?? [],
});

const keyFromRow = (r: Row): ApiKeyRecord => ({
  keyHash: r.key_hash as string,
  projectId: r.project_id as string,
  prefix: r.prefix as string,
  isPrimary: r.is_primary as boolean,
  createdAt: r.created_at as number,
  role: r.role === 'read' ? 'read' : 'operate',
  label: (r.label as string | null) ?? null,
});

const serviceParams = (s: ServiceRecord): unknown[] => [
  s.id, s.projectId, s.name, s.description, JSON.stringify(s.schema), s.revertible, s.kind, s.version, s.createdAt, s.updatedAt,
];

const serviceFromRow = (r: Row): ServiceRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  name: r.name as string,
  description: r.description as string,
  schema: r.schema as ServiceRecord['schema'],
  revertible: r.revertible as boolean,
  kind: r.kind as ServiceRecord['kind'],
  version: r.version as number,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
});

const orchestrationParams = (o: OrchestrationRecord): unknown[] => [
  o.id, o.projectId, o.action, toJson(o.data), toJson(o.plan), JSON.stringify(o.taskZero), o.status, toJson(o.error),
  toJson(o.results), toJson(o.abortReason), o.timeoutMs, o.healthCheckGracePeriodMs, o.timeoutText,
  o.healthCheckGracePeriodText, o.planner, o.createdAt, o.updatedAt, o.traceContext ?? null,
];

const orchestrationFromRow = (r: Row): OrchestrationRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  action: r.action as string,
  data: r.data as OrchestrationRecord['data'],
  plan: r.plan as OrchestrationRecord['plan'],
  taskZero: r.task_zero as OrchestrationRecord['taskZero'],
  status: r.status as OrchestrationRecord['status'],
  error: r.error,
  results: r.results as unknown[] | null,
  abortReason: r.abort_reason,
  timeoutMs: r.timeout_ms as number,
  healthCheckGracePeriodMs: r.grace_ms as number,
  timeoutText: r.timeout_text as string | null,
  healthCheckGracePeriodText: r.grace_text as string | null,
  planner: r.planner as string,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
  ...traceContextOf(r),
});

const taskRows = (tasks: TaskRecord[]): unknown[][] => lastPerKey(tasks, (t) => `${t.orchestrationId}\n${t.taskId}`).map(taskParams);

const taskParams = (t: TaskRecord): unknown[] => [
  t.orchestrationId, t.taskId, t.seq, t.serviceId, t.serviceName, JSON.stringify(t.input), toJson(t.resolvedInput),
  t.state, t.attempts, t.consecutiveErrors, t.idempotencyKey, t.executionId,
  // Outputs may legitimately be null; store JSON `null` so "null output" and "no output" differ (as SQLite).
  t.state === 'completed' ? JSON.stringify(t.output ?? null) : toJson(t.output),
  t.error, t.pausedSince, t.nextAttemptAt, toJson(t.compensation), t.completedAt, t.traceContext ?? null,
];

const taskFromRow = (r: Row): TaskRecord => ({
  orchestrationId: r.orchestration_id as string,
  taskId: r.task_id as string,
  seq: r.seq as number,
  serviceId: r.service_id as string,
  serviceName: r.service_name as string,
  input: r.input as TaskRecord['input'],
  resolvedInput: r.resolved_input as TaskRecord['resolvedInput'],
  state: r.state as TaskRecord['state'],
  attempts: r.attempts as number,
  consecutiveErrors: r.consecutive_errors as number,
  idempotencyKey: r.idempotency_key as string | null,
  executionId: r.execution_id as string | null,
  output: r.output,
  error: r.error as string | null,
  pausedSince: r.paused_since as number | null,
  nextAttemptAt: r.next_attempt_at as number | null,
  compensation: r.compensation as TaskRecord['compensation'],
  completedAt: r.completed_at as number | null,
  ...traceContextOf(r),
});

const journalParams = (e: JournalEntry): unknown[] => [
  e.orchestrationId, e.entryId, e.type, e.taskId, e.producerId, toJson(e.value), e.attempt, e.at,
];

const journalFromRow = (r: Row): JournalEntry => ({
  orchestrationId: r.orchestration_id as string,
  type: r.type as JournalEntry['type'],
  entryId: r.entry_id as string,
  taskId: r.task_id as string | null,
  producerId: r.producer_id as string,
  value: r.value,
  attempt: r.attempt as number,
  at: r.at as number,
});

/** The stored trace context, only when there is one (records written with tracing off have none). */
function traceContextOf(r: Row): { traceContext?: string } {
  return typeof r.trace_context === 'string' ? { traceContext: r.trace_context } : {};
}
