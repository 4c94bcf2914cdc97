import {
  ERROR_CODES,
  rfc3339,
  type ServiceDetailOut,
  type ServiceKind,
  type ServiceOut,
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
    const services = await deps.services.list(callerOf(request).projectId);
    services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
    return services.map((s) => detail(s, deps));
  });

  app.get<{ Params: { id: string } }>('/services/:id', async (request): Promise<ServiceDetailOut> => {
    const service = await deps.services.get(callerOf(request).projectId, request.params.id);
    if (!service) {
      throw new EngineError(
        ERROR_CODES.UNKNOWN_SERVICE,
        `unknown service: ${request.params.id} is not a service or agent of this project`,
        {
          param: 'id',
        },
      );
    }
    return detail(service, deps);
  });
}

function detail(s: ServiceRecord, deps: RouteDeps): ServiceDetailOut {
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
    createdAt: rfc3339(s.createdAt),
    updatedAt: rfc3339(s.updatedAt),
  };
}
