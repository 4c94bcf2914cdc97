import type { OrchestrationErrorOut } from '../http/orchestrations.js';
import { rfc3339Seconds } from '../time.js';
import type { OperatorEventType } from './operator-events.js';

/**
 * Webhook event bodies, exactly as sent. Field names are snake_case because orra's receivers already
 * parse them that way. `timestamp` is real RFC 3339 UTC (orra sends a broken `"RFC…9"` string) and
 * `event_id` is the same on every retry and every endpoint of one event.
 */

/** The event types the engine sends. `webhook.test` is only sent by `POST /webhooks/{id}/test`. */
export type WebhookEventType =
  | 'orchestration.completed'
  | 'orchestration.failed'
  | 'orchestration.aborted'
  | 'compensation.failed'
  | 'webhook.test'
  | OperatorEventType;

/** Which events an endpoint receives (`operator`: the operator events of operator-events.ts). */
export type WebhookEndpointKind = 'orchestration' | 'compensation_failure' | 'operator';

/** The endpoint kind that receives events of `type`. */
export function kindOfEventType(type: WebhookEventType): WebhookEndpointKind {
  if (type === 'compensation.failed') return 'compensation_failure';
  return type.startsWith('orchestration.') || type === 'webhook.test' ? 'orchestration' : 'operator';
}

interface OrchestrationEventBase {
  /** `<orchestration_id>-<status>-<unix seconds of the finalisation>`. */
  event_id: string;
  project_id: string;
  orchestration_id: string;
  /** RFC 3339 UTC time of the finalisation, e.g. `2026-10-27T15:30:45Z`. */
  timestamp: string;
}

/** `orchestration.completed`: `results` are the outputs of the plan's sink tasks, in task order. */
export interface OrchestrationCompletedEvent extends OrchestrationEventBase {
  type: 'orchestration.completed';
  status: 'completed';
  results: unknown[];
}

/** `orchestration.failed`. */
export interface OrchestrationFailedEvent extends OrchestrationEventBase {
  type: 'orchestration.failed';
  status: 'failed';
  error: OrchestrationErrorOut;
}

/** `orchestration.aborted`: `abort_reason` is the abort payload (a service's, or an operator's). */
export interface OrchestrationAbortedEvent extends OrchestrationEventBase {
  type: 'orchestration.aborted';
  status: 'aborted';
  abort_reason: unknown;
}

/** Any of the three orchestration events. */
export type OrchestrationEvent = OrchestrationCompletedEvent | OrchestrationFailedEvent | OrchestrationAbortedEvent;

/** `compensation.failed`: a compensation failed for good (or its TTL ran out); data may be inconsistent. */
export interface CompensationFailedEvent {
  /** `<compensation_id>-failed-<unix seconds of the failure>`, also when `status` is `expired`. */
  event_id: string;
  type: 'compensation.failed';
  compensation_id: string;
  project_id: string;
  orchestration_id: string;
  task_id: string;
  service_id: string;
  service_name: string;
  status: 'failed' | 'expired';
  failure: string;
  timestamp: string;
  compensation_data: {
    /** The compensated task's original (resolved) input. */
    input: unknown;
    context: {
      reason: 'orchestration_failed' | 'orchestration_aborted';
      /** RFC 3339 UTC time of the orchestration failure or abort. */
      timestamp: string;
      /** The orchestration error, or the abort payload. */
      payload: unknown;
    };
    /** What the service returned as compensation data with its result. */
    data: unknown;
    /** The compensation data's TTL in milliseconds. */
    ttl: number;
  };
}

/** `webhook.test`: sent on request to one endpoint so an operator can check it. */
export interface WebhookTestEvent {
  event_id: string;
  type: 'webhook.test';
  project_id: string;
  endpoint_id: string;
  timestamp: string;
}

/** Any event body the engine sends. */
export type WebhookEvent = OrchestrationEvent | CompensationFailedEvent | WebhookTestEvent;

const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/** Input of {@link orchestrationEventPayload}: the finalised orchestration's fields. */
export interface OrchestrationEventInput {
  projectId: string;
  orchestrationId: string;
  status: 'completed' | 'failed' | 'aborted';
  /** Epoch ms of the finalisation. */
  finalizedAt: number;
  results?: unknown[] | null;
  error?: unknown;
  abortReason?: unknown;
}

/** Builds the body of an `orchestration.<status>` event. */
export function orchestrationEventPayload(input: OrchestrationEventInput): OrchestrationEvent {
  const base = {
    event_id: `${input.orchestrationId}-${input.status}-${unixSeconds(input.finalizedAt)}`,
    type: `orchestration.${input.status}` as const,
    project_id: input.projectId,
    orchestration_id: input.orchestrationId,
    status: input.status,
    timestamp: rfc3339Seconds(input.finalizedAt),
  };
  switch (input.status) {
    case 'completed':
      return { ...base, type: 'orchestration.completed', status: 'completed', results: input.results ?? [] };
    case 'failed':
      return { ...base, type: 'orchestration.failed', status: 'failed', error: toErrorOut(input.error) };
    case 'aborted':
      return { ...base, type: 'orchestration.aborted', status: 'aborted', abort_reason: input.abortReason ?? null };
  }
}

function toErrorOut(error: unknown): OrchestrationErrorOut {
  const e = (error ?? {}) as Partial<Record<keyof OrchestrationErrorOut, unknown>>;
  return {
    id: typeof e.id === 'string' ? e.id : '',
    producer: typeof e.producer === 'string' ? e.producer : '',
    error: typeof e.error === 'string' ? e.error : typeof error === 'string' ? error : JSON.stringify(error ?? null),
  };
}

/** Input of {@link compensationFailedPayload}: a compensation that failed for good. */
export interface CompensationFailedInput {
  compensationId: string;
  projectId: string;
  orchestrationId: string;
  taskId: string;
  serviceId: string;
  serviceName: string;
  status: 'failed' | 'expired';
  failure: string;
  /** Epoch ms of the failure (the state change the event reports). */
  failedAt: number;
  /** The compensated task's original input. */
  taskInput: unknown;
  /** Why compensation ran: the orchestration `failed` or was `aborted`. */
  reason: 'failed' | 'aborted';
  /** Time of the orchestration failure or abort: epoch ms or an RFC 3339 string. */
  reasonAt: number | string;
  /** The orchestration error, or the abort payload. */
  payload: unknown;
  /** The stored compensation data and its TTL in ms. */
  data: unknown;
  ttlMs: number;
}

/** Builds the body of a `compensation.failed` event. */
export function compensationFailedPayload(input: CompensationFailedInput): CompensationFailedEvent {
  const reasonAt = typeof input.reasonAt === 'number' ? input.reasonAt : Date.parse(input.reasonAt);
  return {
    event_id: `${input.compensationId}-failed-${unixSeconds(input.failedAt)}`,
    type: 'compensation.failed',
    compensation_id: input.compensationId,
    project_id: input.projectId,
    orchestration_id: input.orchestrationId,
    task_id: input.taskId,
    service_id: input.serviceId,
    service_name: input.serviceName,
    status: input.status,
    failure: input.failure,
    timestamp: rfc3339Seconds(input.failedAt),
    compensation_data: {
      input: input.taskInput ?? null,
      context: {
        reason: input.reason === 'aborted' ? 'orchestration_aborted' : 'orchestration_failed',
        timestamp: rfc3339Seconds(Number.isNaN(reasonAt) ? input.failedAt : reasonAt),
        payload: input.payload ?? null,
      },
      data: input.data ?? null,
      ttl: input.ttlMs,
    },
  };
}
