import { ERROR_CODES, IDEMPOTENT_REPLAYED_HEADER, type OrchestrationListItemOut, type OrchestrationSearchItemOut } from '@orra/protocol';
import type { OrchestrationRecord, TaskCount } from '../../storage/store.js';
import type { FastifyInstance } from 'fastify';
import { EngineError } from '../../errors/engine-error.js';
import { orchestrationSnapshot } from '../audit-snapshots.js';
import { toInspectView, toListView, toOrchestrationOut } from '../../orchestration/read-models.js';
import { requestTraceContext } from '../../tracing/http-tracing.js';
import { decodeOrchestrationRequest } from '../orchestration-request.js';
import { callerOf, type RouteDeps } from '../route-deps.js';
import { submissionOf } from '../submission-key.js';

/**
 * A search item: the grouped list's item (its shape shared with `GET /orchestrations`, which stays
 * orra's) plus the plan's progress, `tasks`, only once there is a plan.
 */
function searchItem(r: OrchestrationRecord, item: OrchestrationListItemOut | undefined, tasks: TaskCount | undefined): OrchestrationSearchItemOut | undefined {
  if (!item) return undefined;
  return r.plan ? { ...item, tasks: { done: tasks?.done ?? 0, total: tasks?.total ?? 0 } } : item;
}

/** How many orchestrations `GET /orchestrations` returns at most (newest first). */
const LIST_LIMIT = 1000;
const DAY_MS = 86_400_000;

export function orchestrationRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post('/orchestrations', async (request, reply) => {
    const submission = submissionOf(request);
    // A body that fails validation stores nothing, key included (Stripe's rule): it may be fixed and resent.
    const decoded = decodeOrchestrationRequest(request.body);
    const { record, useCase, isReplay } = await deps.orchestrations.create(callerOf(request).projectId, decoded, submission, requestTraceContext(request));
    if (isReplay) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return reply.status(202).send({ ...toOrchestrationOut(record), ...(useCase ? { useCase } : {}) });
  });

  app.get('/orchestrations', async (request) => {
    const records = await deps.store.orchestrations.listByProject(callerOf(request).projectId, { limit: LIST_LIMIT });
    const undone = records.filter((r) => r.status === 'failed' || r.status === 'aborted').map((r) => r.id);
    const summaries = await deps.store.compensations.summarize(undone);
    return toListView(records, new Map(summaries.map((s) => [s.orchestrationId, s])));
  });

  // Ours: the list with filters and a keyset cursor, one item per orchestration (orra's CLI keeps reading
  // the grouped GET /orchestrations above, unchanged).
  app.get<{ Querystring: Record<string, string | undefined> }>('/orchestrations/search', async (request) => {
    const q = request.query;
    const { projectId } = callerOf(request);
    const limit = intParam(q.limit, 'limit', 1, 500) ?? 50;
    let serviceIds: string[] | undefined;
    if (q.service) {
      const wanted = q.service.toLowerCase();
      serviceIds = (await deps.services.list(projectId)).filter((s) => s.id === wanted || s.name.toLowerCase() === wanted).map((s) => s.id);
    }
    const records = await deps.store.orchestrations.search(projectId, {
      limit,
      ...(q.status ? { statuses: statusesParam(q.status) } : {}),
      ...(q.since ? { since: timeParam(q.since, 'since') } : {}),
      ...(q.until ? { until: timeParam(q.until, 'until') } : {}),
      ...(q.id ? { idPrefix: q.id } : {}),
      ...(q.q ? { text: q.q } : {}),
      ...(serviceIds ? { serviceIds } : {}),
      ...(q.cursor ? { after: cursorParam(q.cursor) } : {}),
    });
    const pageIds = records.map((r) => r.id);
    // One grouped query each for the page, never one per row.
    const [summaries, taskCounts] = await Promise.all([
      deps.store.compensations.summarize(pageIds),
      deps.store.tasks.countByOrchestration(records.filter((r) => r.plan).map((r) => r.id)),
    ]);
    const grouped = toListView(records, new Map(summaries.map((s) => [s.orchestrationId, s])));
    const byId = new Map(Object.values(grouped).flat().map((item) => [item.id, item]));
    const tasksById = new Map(taskCounts.map((t) => [t.orchestrationId, t]));
    const last = records.at(-1);
    return {
      items: records.map((r) => searchItem(r, byId.get(r.id), tasksById.get(r.id))).filter((item) => item !== undefined),
      nextCursor: records.length === limit && last ? `${last.createdAt}:${last.id}` : null,
    };
  });

  // Ours: the console overview's tile, counted by the database instead of listing the failures (a
  // 500-row search read every failed row and its compensation summary to show a count).
  app.get<{ Querystring: Record<string, string | undefined> }>('/orchestrations/failure-counts', async (request) => {
    const q = request.query;
    const now = deps.now();
    const until = q.until ? timeParam(q.until, 'until') : now;
    const since = q.since ? timeParam(q.since, 'since') : until - DAY_MS;
    if (since >= until) throw invalid('since', 'must be before until');
    const limit = intParam(q.limit, 'limit', 1, 100) ?? 20;
    const counts = await deps.store.orchestrations.countFailures(callerOf(request).projectId, { since, until, limit });
    const listed = counts.groups.reduce((sum, g) => sum + g.count, 0);
    return {
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      failed: counts.totals.failed,
      aborted: counts.totals.aborted,
      groups: counts.groups.map((g) => ({ status: g.status, service: g.serviceName, serviceId: g.serviceId, error: g.error, count: g.count })),
      // PostgreSQL reads the totals and the groups on two connections: a failure committed between them
      // must not make this negative.
      notListed: Math.max(0, counts.totals.failed + counts.totals.aborted - listed),
    };
  });

  // Our addition: an operator abort. Same effect as a service aborting from inside a task.
  const abortAudit = { action: 'orchestration.abort', itemKind: 'orchestration', item: 'id', snapshot: orchestrationSnapshot };
  app.post<{ Params: { id: string } }>('/orchestrations/:id/abort', { config: { audit: abortAudit } }, async (request) => {
    const { projectId } = callerOf(request);
    const record = await deps.orchestrations.get(projectId, request.params.id);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const reason = body.reason;
    if (reason !== undefined && typeof reason !== 'string') {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'reason: must be a string', { param: 'reason' });
    }
    const payload = { reason: reason || 'aborted by an operator', abortedBy: 'operator' };
    const isAborted =
      (record.status === 'pending' || record.status === 'processing') &&
      (await deps.aborts.abortOrchestration(record.id, payload));
    if (!isAborted) {
      throw new EngineError(ERROR_CODES.CONFLICT, `orchestration ${record.id} is ${record.status}; only pending or processing orchestrations can be aborted`);
    }
    return toOrchestrationOut(await deps.orchestrations.get(projectId, record.id));
  });

  app.get<{ Params: { id: string } }>('/orchestrations/:id', async (request) => {
    return toOrchestrationOut(await deps.orchestrations.get(callerOf(request).projectId, request.params.id));
  });

  app.get<{ Params: { id: string } }>('/orchestrations/inspections/:id', async (request) => {
    const { projectId } = callerOf(request);
    const record = await deps.orchestrations.get(projectId, request.params.id);
    // One transaction, so the parts come from one snapshot: on PostgreSQL separate reads could straddle a
    // commit and show, say, a completed compensation whose journal does not have the completion yet.
    const [tasks, journal, services, compensations] = await deps.store.transaction((tx) =>
      Promise.all([
        tx.tasks.listByOrchestration(record.id),
        tx.journal.listByOrchestration(record.id),
        tx.services.listByProject(projectId),
        tx.compensations.listByOrchestration(record.id),
      ]),
    );
    const context = { now: deps.now(), taskMaxAttempts: deps.config.taskMaxAttempts };
    return toInspectView(record, tasks, journal, new Map(services.map((s) => [s.id, s])), context, compensations);
  });
}

const STATUSES = new Set(['pending', 'processing', 'completed', 'failed', 'not_actionable', 'aborted', 'cancelled']);
const invalid = (param: string, why: string) => new EngineError(ERROR_CODES.VALIDATION_FAILED, `${param}: ${why}`, { param });

/** `status=failed,aborted`: one status or several, comma-separated; an unknown one is named in the 400. */
function statusesParam(value: string): string[] {
  const statuses = [...new Set(value.split(',').map((s) => s.trim()))];
  for (const status of statuses) {
    if (!STATUSES.has(status)) throw invalid('status', `'${status}' is not a status; each must be one of ${[...STATUSES].join(', ')}`);
  }
  return statuses;
}

function intParam(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(name, `must be an integer from ${min} to ${max}`);
  return n;
}

function timeParam(value: string, name: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(name, 'must be an RFC 3339 time such as 2026-01-02T15:04:05Z');
  return ms;
}

function cursorParam(value: string): { createdAt: number; id: string } {
  const m = /^(\d{1,16}):(o_[A-Za-z0-9]+)$/.exec(value);
  if (!m) throw invalid('cursor', 'must be the nextCursor of the previous page');
  return { createdAt: Number(m[1]), id: m[2]! };
}
