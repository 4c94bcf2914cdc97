import { ERROR_CODES } from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { toFailedCompensationOut } from '../../compensation/failed-compensation-view.js';
import { EngineError } from '../../errors/engine-error.js';
import { compensationSnapshot } from '../audit-snapshots.js';
import type { ResolutionState } from '../../storage/store.js';
import { field, objectBody } from '../body.js';
import { callerOf, type RouteDeps } from '../route-deps.js';

type Query = Record<string, string | undefined>;
const RESOLUTIONS = new Set(['pending', 'resolved', 'ignored']);

export function compensationFailureRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const failed = deps.failedCompensations;

  // Without filters every record comes back (orra's CLI filters client-side); `null` when there are none.
  app.get<{ Querystring: Query }>('/compensation-failures', async (request) => {
    const q = request.query;
    if (q.resolution !== undefined && !RESOLUTIONS.has(q.resolution)) {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'resolution: must be pending, resolved or ignored', { param: 'resolution' });
    }
    if (q.order !== undefined && q.order !== 'newest' && q.order !== 'oldest') {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'order: must be newest or oldest', { param: 'order' });
    }
    const records = await failed.list(callerOf(request).projectId, {
      isOldestFirst: q.order === 'oldest',
      resolution: q.resolution as ResolutionState | undefined,
      orchestrationId: q.orchestration || undefined,
      service: q.service || undefined,
      limit: positiveInt(q.limit, 'limit'),
      offset: positiveInt(q.offset, 'offset'),
    });
    return records.length > 0 ? records.map((r) => toFailedCompensationOut(r)) : null;
  });

  // Bulk by filter, in two steps (Temporal's and Trigger.dev's batch operations): the server counts what
  // a filter matches, the operator confirms that number, and the change goes through only while the filter
  // still matches exactly that many (a number that moved means the operator confirmed something else).
  // The filter is optional here (the overview counts the whole queue); a bulk change requires one.
  app.get<{ Querystring: Query }>('/compensation-failures/count', async (request) => {
    const q = request.query;
    const filter = q.service || q.orchestration ? bulkFilter(q) : {};
    // Counted by the database (an index-only count), exactly, however long the queue.
    const count = await deps.store.compensations.countFailed(callerOf(request).projectId, { resolution: 'pending', ...filter });
    return { count, isOverLimit: count > BULK_MAX, limit: BULK_MAX };
  });

  const bulkAudit = { action: 'compensation.bulk', itemKind: 'compensation' };
  app.post('/compensation-failures/bulk', { config: { audit: bulkAudit } }, async (request) => {
    const body = objectBody(request.body);
    const action = field(body, 'action');
    if (action !== 'resolve' && action !== 'ignore') throw invalid('action', 'must be "resolve" or "ignore"');
    const filter = bulkFilter(objectBody(field(body, 'filter') ?? {}) as Query);
    const expected = field(body, 'expectedCount');
    if (typeof expected !== 'number' || !Number.isInteger(expected) || expected < 1 || expected > BULK_MAX) {
      throw invalid('expectedCount', `must be the count from GET /compensation-failures/count (1 to ${BULK_MAX})`);
    }
    const reason = field(body, 'reason');
    if (typeof reason !== 'string' || reason.trim() === '') throw invalid('reason', 'a reason is required');
    const caller = callerOf(request);
    const matched = await failed.list(caller.projectId, { resolution: 'pending', ...filter, limit: BULK_MAX + 1 });
    if (matched.length !== expected) {
      throw new EngineError(ERROR_CODES.CONFLICT, `the filter now matches ${matched.length} pending failed compensations, not ${expected}: count again and confirm the new number`);
    }
    const ids: string[] = [];
    for (const record of matched) {
      await failed.dispose(caller, record.id, action, reason);
      ids.push(record.id);
    }
    return { action, count: ids.length, ids };
  });

  app.get<{ Params: { id: string } }>('/compensation-failures/:id', async (request) => {
    const { record, audit } = await failed.get(callerOf(request).projectId, request.params.id);
    return toFailedCompensationOut(record, audit);
  });

  for (const action of ['resolve', 'ignore'] as const) {
    const config = { audit: { action: `compensation.${action}`, itemKind: 'compensation', item: 'id', snapshot: compensationSnapshot } };
    app.post<{ Params: { id: string } }>(`/compensation-failures/:id/${action}`, { config }, async (request) => {
      const body = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'reason: send {"reason": "…"}', { param: 'reason' });
      }
      const record = await failed.dispose(callerOf(request), request.params.id, action, field(body as Record<string, unknown>, 'reason'));
      return toFailedCompensationOut(record);
    });
  }

  const retryAudit = { action: 'compensation.retry', itemKind: 'compensation', item: 'id', snapshot: compensationSnapshot };
  app.post<{ Params: { id: string } }>('/compensation-failures/:id/retry', { config: { audit: retryAudit } }, async (request) => {
    return toFailedCompensationOut(await failed.retry(callerOf(request), request.params.id));
  });
}

/** The most a bulk change touches at once. */
const BULK_MAX = 500;

const invalid = (param: string, why: string) => new EngineError(ERROR_CODES.VALIDATION_FAILED, `${param}: ${why}`, { param });

/** A bulk filter names a service or an orchestration: "every pending item" is refused, not guessed at. */
function bulkFilter(q: Query): { service?: string; orchestrationId?: string } {
  const service = typeof q.service === 'string' && q.service !== '' ? q.service : undefined;
  const orchestrationId = typeof q.orchestration === 'string' && q.orchestration !== '' ? q.orchestration : undefined;
  if (!service && !orchestrationId) throw invalid('filter', 'name a service or an orchestration: an empty filter is refused for bulk changes');
  return { ...(service ? { service } : {}), ...(orchestrationId ? { orchestrationId } : {}) };
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `${name}: must be a non-negative integer`, { param: name });
  }
  return n;
}
