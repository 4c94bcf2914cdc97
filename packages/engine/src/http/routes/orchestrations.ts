import { ERROR_CODES, IDEMPOTENT_REPLAYED_HEADER } from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { EngineError } from '../../errors/engine-error.js';
import { toInspectView, toListView, toOrchestrationOut } from '../../orchestration/read-models.js';
import { requestTraceContext } from '../../tracing/http-tracing.js';
import { decodeOrchestrationRequest } from '../orchestration-request.js';
import { callerOf, type RouteDeps } from '../route-deps.js';
import { submissionOf } from '../submission-key.js';

/** How many orchestrations `GET /orchestrations` returns at most (newest first). */
const LIST_LIMIT = 1000;

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

  // Our addition: an operator abort. Same effect as a service aborting from inside a task.
  app.post<{ Params: { id: string } }>('/orchestrations/:id/abort', async (request) => {
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
