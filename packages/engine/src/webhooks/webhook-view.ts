import { rfc3339, type WebhookAttemptOut, type WebhookDeliveryOut, type WebhookEndpointOut } from '@orra/protocol';
import type { WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord } from '../storage/store.js';

const time = (ms: number | null): string | undefined => (ms === null ? undefined : rfc3339(ms));

/** The wire view of an endpoint; the secret only where the caller asked for one endpoint by id. */
export function toEndpointOut(e: WebhookEndpointRecord, options: { withSecret: boolean; now: number }): WebhookEndpointOut {
  const isOverlapping = e.previousSecretExpiresAt !== null && e.previousSecretExpiresAt > options.now;
  return {
    id: e.id,
    url: e.url,
    kind: e.kind,
    ...(options.withSecret ? { secret: e.secret } : {}),
    enabled: e.isEnabled,
    ...(e.isEnabled ? {} : { disabledReason: e.disabledReason ?? undefined, disabledAt: time(e.disabledAt) }),
    ...(isOverlapping ? { previousSecretExpiresAt: time(e.previousSecretExpiresAt) } : {}),
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
    error: a.error,
    succeeded: a.isSuccess,
  };
}
