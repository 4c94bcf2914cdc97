import { rfc3339Seconds } from '../time.js';

/**
 * Operator events: what an operator must know about, as events (issue 12, item 6). Sent to `operator`
 * endpoints, signed like every webhook, and kept in the event log. Each carries `links`: the API path and
 * the CLI command that show the thing it is about.
 */
export type OperatorEventType =
  | 'compensation.resolved'
  | 'compensation.ignored'
  | 'webhook.endpoint.disabled'
  | 'webhook.endpoint.enabled'
  | 'webhook.endpoint.failing'
  | 'webhook.endpoint.recovered'
  | 'webhook.delivery.exhausted'
  | 'task.late_result'
  | 'service.unhealthy'
  | 'service.healthy';

/** Where to look next. */
export interface OperatorLinks {
  /** The API path (GET) that shows the thing. */
  api: string;
  /** The `orra` command that shows it. */
  cli: string;
}

interface OperatorEventBase {
  /** `<subject id>-<what>-<unix ms>`: one event per state change. */
  event_id: string;
  project_id: string;
  timestamp: string;
  links: OperatorLinks;
}

/** An operator resolved or ignored a failed compensation. */
export interface CompensationDisposedEvent extends OperatorEventBase {
  type: 'compensation.resolved' | 'compensation.ignored';
  compensation_id: string;
  orchestration_id: string;
  /** The reason the operator gave. */
  reason: string;
  /** The id (prefix) of the API key that did it. */
  by_key: string;
}

/** An endpoint stopped (`disabled`) or resumed (`enabled`) receiving events. */
export interface EndpointStateEvent extends OperatorEventBase {
  type: 'webhook.endpoint.disabled' | 'webhook.endpoint.enabled';
  endpoint_id: string;
  endpoint_kind: string;
  url: string;
  /** What did it: `gone_410` (the receiver answered 410 Gone), `failing` (failing too long) or `operator`. */
  trigger: EndpointStateTrigger;
}

/** What disabled or enabled an endpoint. */
export type EndpointStateTrigger = 'gone_410' | 'failing' | 'operator';

/**
 * An endpoint's circuit breaker tripped (`failing`: events are held, probes scheduled) or a probe got
 * through (`recovered`: held events are being delivered). Exactly one of each per outage.
 */
export interface EndpointBreakerEvent extends OperatorEventBase {
  type: 'webhook.endpoint.failing' | 'webhook.endpoint.recovered';
  endpoint_id: string;
  endpoint_kind: string;
  url: string;
  /** When the outage began (the trip). */
  failing_since: string;
  /** `recovered` only: how long the outage lasted, in milliseconds. */
  outage_ms?: number;
}

/** A delivery used its whole retry schedule and was given up on. */
export interface DeliveryExhaustedEvent extends OperatorEventBase {
  type: 'webhook.delivery.exhausted';
  endpoint_id: string;
  url: string;
  /** The event that was not delivered. */
  delivery_event_id: string;
  delivery_event_type: string;
  attempts: number;
  last_http_status: number | null;
  last_error: string | null;
}

/**
 * A service answered with a result after its orchestration had failed or been aborted, and the engine
 * cannot undo it (the service is not revertible, or gave no compensation data): the work is done and
 * someone must check it by hand. (A late result the engine can undo is compensated instead, and reports
 * through the compensation's own events.)
 */
export interface LateResultEvent extends OperatorEventBase {
  type: 'task.late_result';
  orchestration_id: string;
  task_id: string;
  service_id: string;
  /** The orchestration's status when the result arrived: `failed` or `aborted`. */
  orchestration_status: string;
  /** Why the result did not count (e.g. "the work had already ended"). */
  reason: string;
}

/**
 * A service that tasks were waiting for stayed away longer than `ORRA_SERVICE_UNHEALTHY_AFTER_MS`
 * (`service.unhealthy`), or came back after that (`service.healthy`). Exactly one of each per episode,
 * across every engine process; `healthy` is sent only after an `unhealthy`.
 */
export interface ServiceHealthEvent extends OperatorEventBase {
  type: 'service.unhealthy' | 'service.healthy';
  service_id: string;
  service_name: string;
  /** Since when tasks had been waiting for the service while it was away. */
  away_since: string;
  /** When the episode was declared (the `unhealthy` event's time). */
  unhealthy_since: string;
  /** `healthy` only: how long the service was away, in milliseconds (from `away_since`). */
  away_ms?: number;
}

/** Any operator event body. */
export type OperatorEvent =
  | CompensationDisposedEvent
  | EndpointStateEvent
  | EndpointBreakerEvent
  | DeliveryExhaustedEvent
  | LateResultEvent
  | ServiceHealthEvent;

const unixMs = (at: number) => String(at);

/** The body of `compensation.resolved` / `compensation.ignored`. */
export function compensationDisposedPayload(input: {
  projectId: string;
  compensationId: string;
  orchestrationId: string;
  action: 'resolve' | 'ignore';
  reason: string;
  byKey: string;
  at: number;
}): CompensationDisposedEvent {
  const type = input.action === 'resolve' ? 'compensation.resolved' : 'compensation.ignored';
  return {
    event_id: `${input.compensationId}-${input.action === 'resolve' ? 'resolved' : 'ignored'}-${unixMs(input.at)}`,
    type,
    project_id: input.projectId,
    compensation_id: input.compensationId,
    orchestration_id: input.orchestrationId,
    reason: input.reason,
    by_key: input.byKey,
    timestamp: rfc3339Seconds(input.at),
    links: { api: `/compensation-failures/${input.compensationId}`, cli: `orra comp-fail inspect ${input.compensationId}` },
  };
}

/** The body of `webhook.endpoint.disabled` / `webhook.endpoint.enabled`. */
export function endpointStatePayload(input: {
  projectId: string;
  endpointId: string;
  endpointKind: string;
  url: string;
  isEnabled: boolean;
  trigger: EndpointStateTrigger;
  at: number;
}): EndpointStateEvent {
  return {
    event_id: `${input.endpointId}-${input.isEnabled ? 'enabled' : 'disabled'}-${unixMs(input.at)}`,
    type: input.isEnabled ? 'webhook.endpoint.enabled' : 'webhook.endpoint.disabled',
    project_id: input.projectId,
    endpoint_id: input.endpointId,
    endpoint_kind: input.endpointKind,
    url: input.url,
    trigger: input.trigger,
    timestamp: rfc3339Seconds(input.at),
    links: { api: `/webhooks/${input.endpointId}`, cli: 'orra webhooks ls' },
  };
}

/** The body of `webhook.endpoint.failing` / `webhook.endpoint.recovered`; the id names the outage. */
export function endpointBreakerPayload(input: {
  projectId: string;
  endpointId: string;
  endpointKind: string;
  url: string;
  state: 'failing' | 'recovered';
  failingSince: number;
  at: number;
}): EndpointBreakerEvent {
  return {
    event_id: `${input.endpointId}-${input.state}-${unixMs(input.failingSince)}`,
    type: input.state === 'failing' ? 'webhook.endpoint.failing' : 'webhook.endpoint.recovered',
    project_id: input.projectId,
    endpoint_id: input.endpointId,
    endpoint_kind: input.endpointKind,
    url: input.url,
    failing_since: rfc3339Seconds(input.failingSince),
    ...(input.state === 'recovered' ? { outage_ms: input.at - input.failingSince } : {}),
    timestamp: rfc3339Seconds(input.at),
    links: { api: `/webhooks/${input.endpointId}`, cli: 'orra webhooks ls' },
  };
}

/** The body of `webhook.delivery.exhausted`. */
export function deliveryExhaustedPayload(input: {
  projectId: string;
  endpointId: string;
  url: string;
  eventId: string;
  eventType: string;
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  at: number;
}): DeliveryExhaustedEvent {
  return {
    event_id: `${input.eventId}-exhausted-${input.endpointId}`,
    type: 'webhook.delivery.exhausted',
    project_id: input.projectId,
    endpoint_id: input.endpointId,
    url: input.url,
    delivery_event_id: input.eventId,
    delivery_event_type: input.eventType,
    attempts: input.attempts,
    last_http_status: input.lastHttpStatus,
    last_error: input.lastError,
    timestamp: rfc3339Seconds(input.at),
    links: { api: `/webhooks/events/${input.eventId}`, cli: `orra webhooks inspect ${input.eventId}` },
  };
}

/** The body of `task.late_result`. One per task: a re-sent late answer is recorded once. */
export function lateResultPayload(input: {
  projectId: string;
  orchestrationId: string;
  taskId: string;
  serviceId: string;
  orchestrationStatus: string;
  reason: string;
  at: number;
}): LateResultEvent {
  return {
    event_id: `${input.orchestrationId}-${input.taskId}-late-result`,
    type: 'task.late_result',
    project_id: input.projectId,
    orchestration_id: input.orchestrationId,
    task_id: input.taskId,
    service_id: input.serviceId,
    orchestration_status: input.orchestrationStatus,
    reason: input.reason,
    timestamp: rfc3339Seconds(input.at),
    links: { api: `/orchestrations/inspections/${input.orchestrationId}`, cli: `orra inspect ${input.orchestrationId}` },
  };
}

/**
 * The body of `service.unhealthy` / `service.healthy`. Both ids name the episode by when it was declared,
 * so the pair share a suffix and a re-run of the same declaration cannot make a second one.
 */
export function serviceHealthPayload(input: {
  projectId: string;
  serviceId: string;
  serviceName: string;
  state: 'unhealthy' | 'healthy';
  awaySince: number;
  unhealthySince: number;
  at: number;
}): ServiceHealthEvent {
  return {
    event_id: `${input.serviceId}-${input.state}-${unixMs(input.unhealthySince)}`,
    type: input.state === 'unhealthy' ? 'service.unhealthy' : 'service.healthy',
    project_id: input.projectId,
    service_id: input.serviceId,
    service_name: input.serviceName,
    away_since: rfc3339Seconds(input.awaySince),
    unhealthy_since: rfc3339Seconds(input.unhealthySince),
    ...(input.state === 'healthy' ? { away_ms: input.at - input.awaySince } : {}),
    timestamp: rfc3339Seconds(input.at),
    links: { api: `/services/${input.serviceId}`, cli: `orra services inspect ${input.serviceId}` },
  };
}
