import { rfc3339, type ServiceKind, type ServiceOut } from '@orra/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
  // Ours (orra has no list): the console's Services screen and scripts. By name.
  app.get('/services', async (request) =>
    (await deps.services.list(callerOf(request).projectId)).sort((a, b) => a.name.localeCompare(b.name)).map((s) => ({
      id: s.id,
      name: s.name,
      kind: s.kind,
      description: s.description,
      revertible: s.revertible,
      version: s.version,
      isConnected: deps.isServiceConnected(s.id),
      createdAt: rfc3339(s.createdAt),
      updatedAt: rfc3339(s.updatedAt),
    })),
  );

  app.post('/register/service', register('service'));
  app.post('/register/agent', register('agent'));
}
