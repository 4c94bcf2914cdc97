import type { GroundingSpecOut } from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { validateGroundingSpec } from '../../planning/grounding-validator.js';
import type { GroundingRecord } from '../../storage/store.js';
import { field, objectBody } from '../body.js';
import { callerOf, type RouteDeps } from '../route-deps.js';

/** The top-level keys of a grounding spec; `use-cases` (the YAML spelling) is accepted for `useCases`. */
const KEYS = ['name', 'domain', 'version', 'useCases', 'constraints'] as const;

/** orra's grounding routes (orra-compat §1.3), same shapes and status codes. */
export function groundingRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.post('/groundings', { config: { audit: { action: 'grounding.apply', itemKind: 'grounding', idField: 'name' } } }, async (request, reply) => {
    const body = objectBody(request.body);
    const decoded: Record<string, unknown> = Object.fromEntries(KEYS.map((k) => [k, field(body, k)]));
    decoded.useCases ??= field(body, 'use-cases');
    const record = await deps.groundings.apply(callerOf(request).projectId, validateGroundingSpec(decoded));
    return reply.status(201).send(toGroundingSpecOut(record));
  });

  // orra: an array sorted by name, or `null` when the project has none.
  app.get('/groundings', async (request) => {
    const records = await deps.groundings.list(callerOf(request).projectId);
    return records.length > 0 ? records.map(toGroundingSpecOut) : null;
  });

  app.delete<{ Params: { name: string } }>('/groundings/:name', { config: { audit: { action: 'grounding.delete', itemKind: 'grounding', item: 'name' } } }, async (request, reply) => {
    await deps.groundings.remove(callerOf(request).projectId, request.params.name);
    return reply.status(204).send();
  });

  app.delete('/groundings', { config: { audit: { action: 'grounding.delete_all', itemKind: 'grounding' } } }, async (request, reply) => {
    await deps.groundings.removeAll(callerOf(request).projectId);
    return reply.status(204).send();
  });
}

export function toGroundingSpecOut(r: GroundingRecord): GroundingSpecOut {
  return {
    projectID: r.projectId,
    name: r.name,
    domain: r.domain,
    version: r.version,
    useCases: r.useCases.map((u) => ({ action: u.action, params: u.params, capabilities: u.capabilities, intent: u.intent })),
    constraints: r.constraints,
  };
}
