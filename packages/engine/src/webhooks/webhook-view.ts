import { rfc3339, type WebhookAttemptOut, type WebhookDeliveryOut, type WebhookEndpointOut } from '@orra/protocol';
import type { WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord } from '../storage/store.js';
import type { EndpointWithBreaker } from './webhook-service.js';

const time = (ms: number | null): string | undefined => (ms === null ? undefined : rfc3339(ms));

/** The wire view of an endpoint; the secret only where the caller asked for one endpoint by id. */
export function toEndpointOut(e: WebhookEndpointRecord, options: { withSecret: boolean; now: number; breaker?: EndpointWithBreaker }): WebhookEndpointOut {
  const isOverlapping = e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > options.now;
  // Without the breaker read (a new endpoint): what the endpoint row alone says.
  const b = options.breaker ?? { state: e.isEnabled ? 'active' : 'disabled', stateSince: e.isEnabled ? e.createdAt : (e.disabledAt ?? e.updatedAt), heldEvents: 0, nextProbeAt: null, throttledUntil: null };
  return {
    id: e.id,
    url: e.url,
    kind: e.kind,
    ...(options.withSecret ? { secret: e.secret } : {}),
    enabled: e.isEnabled,
    ...(e.isEnabled ? {} : { disabledReason: e.disabledReason ?? undefined, disabledAt: time(e.disabledAt) }),
    ...(isOverlapping ? { previousSecretExpiresAt: time(e.previousSecretExpiresAt) } : {}),
    state: b.state,
    stateSince: rfc3339(b.stateSince),
    heldEvents: b.heldEvents,
    ...(b.nextProbeAt !== null ? { nextProbeAt: rfc3339(b.nextProbeAt) } : {}),
    ...(b.throttledUntil !== null ? { throttledUntil: rfc3339(b.throttledUntil) } : {}),
    createdAt: rfc3339(e.createdAt),
    updatedAt: rfc3339(e.updatedAt),
  };
}

export function toDeliveryOut(d: WebhookDeliveryRecord & { url: string }): WebhookDeliveryOut {
  return {
    eventId: d.eventId,
    type: d.eventType,
    endpointId: d.endpointId,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' && d.nextAttemptAt !== null ? rfc3339(d.nextAttemptAt) : null,
    lastHttpStatus: d.lastHttpStatus,
    lastError: d.lastError,
    createdAt: rfc3339(d.createdAt),
    updatedAt: rfc3339(d.updatedAt),
  };
}

export function toAttemptOut(a: WebhookAttemptRecord): WebhookAttemptOut {
  return {
    attempt: a.attempt,
    startedAt: rfc3339(a.startedAt),
    durationMs: a.durationMs,
    httpStatus: a.httpStatus,
    responseBody: a.responseBody,
    requestHeaders: a.requestHeaders ?? null,
    responseHeaders: a.responseHeaders ?? null,
    error: a.error,
    succeeded: a.isSuccess,
  };
}
