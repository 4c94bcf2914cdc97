import {
  LOGGED_EVENT_TYPES,
  ERROR_CODES,
  rfc3339,
  type RequeueOut,
  type RotateSecretOut,
  type WebhookEndpointKind,
  type WebhookEventType,
  type WebhookTestOut,
} from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { EngineError } from '../../errors/engine-error.js';
import { endpointSnapshot } from '../audit-snapshots.js';
import type { WebhookDeliveryStatus } from '../../storage/store.js';
import { DEFAULT_DELIVERY_PAGE, MAX_DELIVERY_PAGE } from '../../webhooks/webhook-history.js';
import type { WebhookEndpointRecord } from '../../storage/store.js';
import type { EndpointWithBreaker } from '../../webhooks/webhook-service.js';
import { endpointStats } from '../../webhooks/endpoint-stats.js';
import { toEndpointOut } from '../../webhooks/webhook-view.js';
import { field } from '../body.js';
import { parseOrchestrationId } from '../query-params.js';
import { callerOf, type RouteDeps } from '../route-deps.js';

type Query = Record<string, string | undefined>;
type IdParams = { Params: { id: string } };

const KINDS = new Set<WebhookEndpointKind>(['orchestration', 'compensation_failure', 'operator']);
const STATUSES = new Set<WebhookDeliveryStatus>(['pending', 'succeeded', 'failed', 'skipped']);
// Every type the log holds, and the test event, which is sent but never logged.
const TYPES = new Set<WebhookEventType>([...LOGGED_EVENT_TYPES, 'webhook.test']);

/** Webhook endpoints (orra's two `POST` routes plus our management routes), delivery history and replay. */
export function webhookRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { service, history } = deps.webhooks;
  const view = (withSecret: boolean) => (e: Parameters<typeof toEndpointOut>[0]) => toEndpointOut(e, { withSecret, now: deps.now() });
  const viewWith = (withSecret: boolean) => (b: EndpointWithBreaker) => toEndpointOut(b.endpoint, { withSecret, now: deps.now(), breaker: b });
  const withBreaker = async (projectId: string, e: WebhookEndpointRecord) => (await service.withBreakers(projectId, [e]))[0]!;

  for (const [path, kind] of [
    ['/webhooks', 'orchestration'],
    ['/compensation-failure-webhooks', 'compensation_failure'],
  ] as const) {
    app.post(path, { config: { audit: { action: 'webhook.create', itemKind: 'webhook_endpoint', idField: 'id' } } }, async (request, reply) => {
      const body = bodyObject(request.body);
      // POST /webhooks also takes `kind: "operator"` (operator events); orra's body is just {url}.
      const chosen = path === '/webhooks' ? endpointKind(body.kind) : kind;
      const endpoint = await service.add(callerOf(request).projectId, chosen, field(body, 'url'));
      return reply.status(201).send(view(true)(endpoint));
    });
  }

  app.get<{ Querystring: Query }>('/webhooks', async (request) => {
    const projectId = callerOf(request).projectId;
    return (await service.withBreakers(projectId, await service.list(projectId, endpointKindFilter(request.query.kind)))).map(viewWith(false));
  });

  // Last status and 24 h success rate per endpoint (the console's Webhooks screen): a route of its own, so
  // the list orra's CLI reads stays one cheap read.
  app.get<{ Querystring: Query }>('/webhooks/stats', async (request) => {
    const projectId = callerOf(request).projectId;
    return endpointStats(deps.store, projectId, await service.list(projectId, endpointKindFilter(request.query.kind)), deps.now());
  });

  app.get<{ Querystring: Query }>('/webhooks/deliveries', async (request) => {
    const q = request.query;
    if (q.status && !STATUSES.has(q.status as WebhookDeliveryStatus)) throw invalid('status', 'must be pending, succeeded, failed or skipped');
    if (q.type && !TYPES.has(q.type as WebhookEventType)) throw invalid('type', `must be one of ${[...TYPES].join(', ')}`);
    const limit = integer(q.limit, 'limit', 1, MAX_DELIVERY_PAGE) ?? DEFAULT_DELIVERY_PAGE;
    return history.listDeliveries(callerOf(request).projectId, {
      status: (q.status || undefined) as WebhookDeliveryStatus | undefined,
      type: (q.type || undefined) as WebhookEventType | undefined,
      endpointId: q.endpoint || undefined,
      orchestrationId: q.orchestration_id ? parseOrchestrationId(q.orchestration_id) : undefined,
      beforeSeq: integer(q.cursor, 'cursor', 1, Number.MAX_SAFE_INTEGER),
      limit,
    });
  });

  app.get<{ Params: { eventId: string } }>('/webhooks/events/:eventId', async (request) => {
    return history.getEvent(callerOf(request).projectId, request.params.eventId);
  });

  const redeliverAudit = { action: 'webhook.redeliver', itemKind: 'webhook_event', item: 'eventId' };
  app.post<{ Params: { eventId: string } }>('/webhooks/events/:eventId/redeliver', { config: { audit: redeliverAudit } }, async (request, reply) => {
    const endpoint = request.body === undefined ? undefined : field(bodyObject(request.body), 'endpoint');
    const requeued = await service.redeliver(callerOf(request).projectId, request.params.eventId, endpoint);
    return reply.status(202).send({ requeued } satisfies RequeueOut);
  });

  app.get<IdParams>('/webhooks/:id', async (request) => {
    const projectId = callerOf(request).projectId;
    return viewWith(true)(await withBreaker(projectId, await service.get(projectId, request.params.id)));
  });

  app.delete<IdParams>('/webhooks/:id', { config: { audit: endpointAudit('webhook.delete') } }, async (request, reply) => {
    await service.delete(callerOf(request).projectId, request.params.id);
    return reply.status(204).send();
  });

  app.post<IdParams>('/webhooks/:id/enable', { config: { audit: endpointAudit('webhook.enable') } }, async (request) => {
    const projectId = callerOf(request).projectId;
    // {"discard_held": true}: the events held while it was disabled end `skipped` instead of being sent.
    const discardHeld = request.body === undefined || request.body === null ? false : (bodyObject(request.body).discard_held ?? false);
    return viewWith(false)(await withBreaker(projectId, await service.enable(projectId, request.params.id, discardHeld)));
  });

  app.post<IdParams>('/webhooks/:id/disable', { config: { audit: endpointAudit('webhook.disable') } }, async (request) => {
    const projectId = callerOf(request).projectId;
    return viewWith(false)(await withBreaker(projectId, await service.disable(projectId, request.params.id)));
  });

  app.post<IdParams>('/webhooks/:id/pause', { config: { audit: endpointAudit('webhook.pause') } }, async (request) =>
    viewWith(false)(await service.pause(callerOf(request).projectId, request.params.id)),
  );

  app.post<IdParams>('/webhooks/:id/resume', { config: { audit: endpointAudit('webhook.resume') } }, async (request) =>
    viewWith(false)(await service.resume(callerOf(request).projectId, request.params.id)),
  );

  app.post<IdParams>('/webhooks/:id/rotate-secret', { config: { audit: endpointAudit('webhook.rotate_secret') } }, async (request) => {
    const e = await service.rotateSecret(callerOf(request).projectId, request.params.id);
    return { id: e.id, secret: e.secret, previousSecretExpiresAt: rfc3339(e.previousSecretExpiresAt ?? deps.now()) } satisfies RotateSecretOut;
  });

  app.post<IdParams>('/webhooks/:id/test', { config: { audit: endpointAudit('webhook.test') } }, async (request) => {
    const { eventId, result } = await service.test(callerOf(request).projectId, request.params.id);
    return {
      eventId,
      succeeded: result.isSuccess,
      httpStatus: result.httpStatus,
      durationMs: result.durationMs,
      error: result.error,
      responseBody: result.responseBody,
    } satisfies WebhookTestOut;
  });

  app.post<IdParams>('/webhooks/:id/recover', { config: { audit: endpointAudit('webhook.recover') } }, async (request, reply) => {
    const since = field(bodyObject(request.body), 'since');
    const requeued = await service.recover(callerOf(request).projectId, request.params.id, since);
    return reply.status(202).send({ requeued } satisfies RequeueOut);
  });
}

const endpointAudit = (action: string) => ({ action, itemKind: 'webhook_endpoint', item: 'id', snapshot: endpointSnapshot });

function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new EngineError(ERROR_CODES.JSON_MARSHALING_FAIL, 'request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** The `kind` filter of the endpoint lists: absent, or one of the three kinds. */
function endpointKindFilter(raw: string | undefined): WebhookEndpointKind | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!KINDS.has(raw as WebhookEndpointKind)) throw invalid('kind', 'must be orchestration, compensation_failure or operator');
  return raw as WebhookEndpointKind;
}

const invalid = (param: string, why: string) => new EngineError(ERROR_CODES.VALIDATION_FAILED, `${param}: ${why}`, { param });

function integer(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(name, `must be an integer from ${min} to ${max}`);
  return n;
}

/** The `kind` of `POST /webhooks`: absent or `orchestration` (orra's), or `operator`. */
function endpointKind(raw: unknown): WebhookEndpointKind {
  if (raw === undefined || raw === null || raw === 'orchestration') return 'orchestration';
  if (raw === 'operator') return 'operator';
  throw invalid('kind', 'must be orchestration or operator (compensation.failed endpoints: POST /compensation-failure-webhooks)');
}
