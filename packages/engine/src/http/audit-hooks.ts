import { newAuditId } from '@orra/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../projects/project-service.js';
import type { AuditClient } from '../storage/store.js';
import type { RouteDeps } from './route-deps.js';

/**
 * How a route's operator change is audited (route option `config.audit`). `item` names the route
 * parameter holding the item's id; without it the id comes from the answer's `idField`. `snapshot`
 * loads the item's state for "before" (and "after"); routes without one record their (redacted) answer
 * as "after".
 */
export interface AuditSpec {
  action: string;
  itemKind: string;
  item?: string;
  idField?: string;
  snapshot?: (deps: RouteDeps, projectId: string, id: string) => Promise<unknown>;
}

/** Fields never written to the audit log: the audit trail is readable by every key of the project. */
const SECRET_FIELDS = new Set(['apiKey', 'secret', 'previousSecret']);

interface AuditState {
  itemId: string | null;
  before: unknown;
}

/**
 * Records every successful change a route marks with `config.audit`: who (key id and label), from where
 * (console, CLI, API), what, on which item, the reason given, the state before and after, when. The entry
 * is written before the answer goes out, so a client that saw success can find it.
 */
export function installAuditHooks(app: FastifyInstance, deps: RouteDeps): void {
  app.decorateRequest('auditState', null);
  app.addHook('preHandler', async (request) => {
    const spec = specOf(request);
    const caller = callerOrNull(request);
    if (!spec || !caller) return;
    const itemId = spec.item ? ((request.params as Record<string, string>)[spec.item] ?? null) : null;
    const before = itemId && spec.snapshot ? await spec.snapshot(deps, caller.projectId, itemId).catch(() => null) : null;
    Object.assign(request, { auditState: { itemId, before } satisfies AuditState });
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const spec = specOf(request);
    const caller = callerOrNull(request);
    const state = (request as unknown as { auditState: AuditState | null }).auditState;
    if (!spec || !caller || !state || reply.statusCode >= 400) return payload;
    const answer = typeof payload === 'string' ? parseJson(payload) : null;
    const itemId = state.itemId ?? (spec.idField && answer && typeof answer === 'object' ? String((answer as Record<string, unknown>)[spec.idField] ?? '') || null : null);
    const after = itemId && spec.snapshot ? await spec.snapshot(deps, caller.projectId, itemId).catch(() => null) : redact(answer);
    const body = request.body as Record<string, unknown> | null | undefined;
    const reason = body && typeof body === 'object' && typeof body.reason === 'string' ? body.reason : null;
    try {
      await deps.store.audit.append({
        id: newAuditId(),
        projectId: caller.projectId,
        at: deps.now(),
        keyId: caller.keyId,
        keyLabel: caller.keyLabel,
        client: (request as unknown as { auditClient: AuditClient }).auditClient,
        action: spec.action,
        itemKind: spec.itemKind,
        itemId,
        reason,
        before: redact(state.before),
        after,
      });
    } catch (err) {
      // The change is done; failing its answer now would invite a retry of something that happened.
      request.log.error({ err, action: spec.action, itemId }, 'audit entry not written');
    }
    return payload;
  });
}

function specOf(request: FastifyRequest): AuditSpec | undefined {
  return (request.routeOptions.config as { audit?: AuditSpec } | undefined)?.audit;
}

function callerOrNull(request: FastifyRequest): Caller | null {
  return (request as unknown as { caller: Caller | null }).caller;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A copy without secret fields, at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value ?? null;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !SECRET_FIELDS.has(k)).map(([k, v]) => [k, redact(v)]));
}
