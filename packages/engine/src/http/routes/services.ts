import {
  ERROR_CODES,
  rfc3339,
  type ServiceDetailOut,
  type ServiceKind,
  type ServiceOut,
  type ServiceTasksOut,
} from '@orra/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EngineError } from '../../errors/engine-error.js';
import type { ServiceRecord } from '../../storage/store.js';
import { field, objectBody } from '../body.js';
import { callerOf, type RouteDeps } from '../route-deps.js';

export function serviceRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const register = (kind: ServiceKind) => async (request: FastifyRequest) => {
    const body = objectBody(request.body);
    const service = await deps.services.register(callerOf(request).projectId, kind, {
      id: field(body, 'id') as string | null | undefined,
      name: field(body, 'name'),
      description: field(body, 'description'),
      schema: field(body, 'schema'),
      revertible: field(body, 'revertible'),
    });
    const out: ServiceOut = {
      id: service.id,
      name: service.name,
      status: 'registered',
      revertible: service.revertible,
      version: service.version,
    };
    return out;
  };
  app.post('/register/service', register('service'));
  app.post('/register/agent', register('agent'));

  // Ours: orra has no way to list services, so a user could find a service's id only in its SDK's key file.
  // Sorted by name (then id): what a person scans for.
  app.get('/services', async (request): Promise<ServiceDetailOut[]> => {
    const projectId = callerOf(request).projectId;
    const [services, open] = await Promise.all([deps.services.list(projectId), openTasks(deps, projectId)]);
    services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
    return services.map((s) => detail(s, deps, open));
  });

  app.get<{ Params: { id: string } }>('/services/:id', async (request): Promise<ServiceDetailOut> => {
    const projectId = callerOf(request).projectId;
    const [service, open] = await Promise.all([deps.services.get(projectId, request.params.id), openTasks(deps, projectId)]);
    if (!service) {
      throw new EngineError(
        ERROR_CODES.UNKNOWN_SERVICE,
        `unknown service: ${request.params.id} is not a service or agent of this project`,
        {
          param: 'id',
        },
      );
    }
    return detail(service, deps, open);
  });
}

/** Service id → its waiting tasks, from storage (so across every engine process). */
async function openTasks(deps: RouteDeps, projectId: string): Promise<Map<string, ServiceTasksOut>> {
  const byService = new Map<string, ServiceTasksOut>();
  for (const { serviceId, state, count } of await deps.store.tasks.countOpenByService(projectId)) {
    let t = byService.get(serviceId);
    if (!t) byService.set(serviceId, (t = { waiting: 0, running: 0, retrying: 0 }));
    t[state === 'paused' ? 'waiting' : state === 'processing' ? 'running' : 'retrying'] += count;
  }
  return byService;
}

function detail(s: ServiceRecord, deps: RouteDeps, open: Map<string, ServiceTasksOut>): ServiceDetailOut {
  const { sockets, since } = deps.presence.presence(s.id);
  return {
    id: s.id,
    name: s.name,
    kind: s.kind,
    description: s.description,
    revertible: s.revertible,
    version: s.version,
    schema: s.schema,
    connection: {
      state: sockets > 0 ? 'connected' : 'disconnected',
      sockets,
      since: since === null ? null : rfc3339(since),
    },
    tasks: open.get(s.id) ?? { waiting: 0, running: 0, retrying: 0 },
    createdAt: rfc3339(s.createdAt),
    updatedAt: rfc3339(s.updatedAt),
  };
}
