import { ERROR_CODES } from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { toFailedCompensationOut } from '../../compensation/failed-compensation-view.js';
import { EngineError } from '../../errors/engine-error.js';
import { compensationSnapshot } from '../audit-snapshots.js';
import type { ResolutionState } from '../../storage/store.js';
import { field } from '../body.js';
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
    const records = await failed.list(callerOf(request).projectId, {
      resolution: q.resolution as ResolutionState | undefined,
      orchestrationId: q.orchestration || undefined,
      service: q.service || undefined,
      limit: positiveInt(q.limit, 'limit'),
      offset: positiveInt(q.offset, 'offset'),
    });
    return records.length > 0 ? records.map((r) => toFailedCompensationOut(r)) : null;
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

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `${name}: must be a non-negative integer`, { param: name });
  }
  return n;
}
