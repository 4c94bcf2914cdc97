import { ERROR_CODES, projectNameProblem, rfc3339, ZERO_TIME, type ProjectOut } from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { EngineError } from '../../errors/engine-error.js';
import { hashApiKey } from '../../projects/api-key-hash.js';
import { field } from '../body.js';
import { bearerToken, callerOf, type RouteDeps } from '../route-deps.js';

/** Whether the engine's listening host is loopback only (a developer's machine). */
export function isLoopbackHost(host: string): boolean {
  // Inside the function, not a module constant: Stryker's incremental mode keeps the last outcome of a
  // module-level ("static") mutant even when tests that kill it are added.
  return /^(127\.|::1$|localhost$)/.test(host);
}

export function projectRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get('/health', { config: { isPublic: true } }, async () => ({}));

  // Open on loopback (a developer's machine); anywhere else it takes the admin token, because anyone
  // who can create a project can use the engine (orra leaves it open everywhere).
  app.post('/register/project', { config: { isPublic: true } }, async (request, reply) => {
    const { adminToken, host } = deps.config;
    if (!isLoopbackHost(host) || adminToken) {
      if (!adminToken || bearerToken(request) !== adminToken) {
        throw new EngineError(ERROR_CODES.FORBIDDEN, 'registering projects on this engine requires the admin token (ORRA_ADMIN_TOKEN) as a Bearer token');
      }
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new EngineError(ERROR_CODES.JSON_MARSHALING_FAIL, 'request body must be a JSON object');
    }
    const name = field(body, 'name') ?? '';
    if (typeof name !== 'string') throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'name: must be a string', { param: 'name' });
    const problem = projectNameProblem(name);
    if (problem) throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `name: ${problem}`, { param: 'name' });
    const webhooks = urlList(field(body, 'webhooks'), 'webhooks');
    const compensationFailureWebhooks = urlList(field(body, 'compensationFailureWebhooks'), 'compensationFailureWebhooks');
    // orra stores these URLs unchecked; we make them endpoints, so they are validated like POST /webhooks.
    const endpoints = await deps.webhooks.service.validateRegistration({ webhooks, compensationFailureWebhooks });
    const { project, apiKey } = await deps.projects.register({ name: name.trim(), webhooks, compensationFailureWebhooks }, (tx, p) =>
      deps.webhooks.service.addFromRegistration(tx, p.id, endpoints),
    );
    const out: ProjectOut = {
      id: project.id,
      name: project.name,
      apiKey,
      additionalAPIKeys: null,
      webhooks: project.webhooks.length > 0 ? project.webhooks : null,
      compensationFailureWebhooks: project.compensationFailureWebhooks.length > 0 ? project.compensationFailureWebhooks : null,
      createdAt: rfc3339(project.createdAt),
      updatedAt: ZERO_TIME,
    };
    return reply.status(201).send(out);
  });

  // orra's answer is {apiKey}; the other fields are ours. Body optional: {"role": "read"|"operate", "label": "…"}.
  app.post('/apikeys', { config: { audit: { action: 'apikey.create', itemKind: 'api_key', idField: 'keyId' } } }, async (request, reply) => {
    const body = request.body === undefined || request.body === null ? {} : request.body;
    if (typeof body !== 'object' || Array.isArray(body)) throw new EngineError(ERROR_CODES.JSON_MARSHALING_FAIL, 'request body must be a JSON object');
    const role = field(body as Record<string, unknown>, 'role') ?? 'operate';
    if (role !== 'operate' && role !== 'read') {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'role: must be "operate" or "read"', { param: 'role' });
    }
    const label = field(body as Record<string, unknown>, 'label') ?? null;
    if (label !== null && (typeof label !== 'string' || label.length > 100)) {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'label: must be a string of at most 100 characters', { param: 'label' });
    }
    const apiKey = await deps.projects.addApiKey(callerOf(request).projectId, { role, label: label || null });
    return reply.status(201).send({ apiKey, keyId: hashApiKey(apiKey).slice(0, 12), role, label: label || null });
  });
}

function urlList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `${name}: must be an array of URLs`, { param: name });
  }
  return value as string[];
}
