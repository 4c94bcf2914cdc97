import type { FastifyInstance } from 'fastify';
import { toInspectView, toListView, toOrchestrationOut } from '../../orchestration/read-models.js';
import { decodeOrchestrationRequest } from '../orchestration-request.js';
import { callerOf, type RouteDeps } from '../route-deps.js';

/** How many orchestrations `GET /orchestrations` returns at most (newest first). */
const LIST_LIMIT = 1000;

export function orchestrationRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post('/orchestrations', async (request, reply) => {
    const decoded = decodeOrchestrationRequest(request.body);
    const record = await deps.orchestrations.create(callerOf(request).projectId, decoded);
    return reply.status(202).send(toOrchestrationOut(record));
  });

  app.get('/orchestrations', async (request) => {
    const records = await deps.store.orchestrations.listByProject(callerOf(request).projectId, { limit: LIST_LIMIT });
    return toListView(records);
  });

  app.get<{ Params: { id: string } }>('/orchestrations/:id', async (request) => {
    return toOrchestrationOut(await deps.orchestrations.get(callerOf(request).projectId, request.params.id));
  });

  app.get<{ Params: { id: string } }>('/orchestrations/inspections/:id', async (request) => {
    const { projectId } = callerOf(request);
    const record = await deps.orchestrations.get(projectId, request.params.id);
    const [tasks, journal, services] = await Promise.all([
      deps.store.tasks.listByOrchestration(record.id),
      deps.store.journal.listByOrchestration(record.id),
      deps.store.services.listByProject(projectId),
    ]);
    return toInspectView(record, tasks, journal, new Map(services.map((s) => [s.id, s])), deps.now());
  });
}
