import type { WebhookEndpointKind, WebhookEventType } from '../webhooks/events.js';

/** `POST /webhooks` and `POST /compensation-failure-webhooks` body (orra's). */
export interface WebhookIn {
  url: string;
}

/**
 * A webhook endpoint. orra answers `POST /webhooks` with `{url}` only; the other fields are ours.
 * `secret` appears when the endpoint is created, in `GET /webhooks/{id}` and after a rotation.
 */
export interface WebhookEndpointOut {
  id: string;
  url: string;
  kind: WebhookEndpointKind;
  /** `whsec_` + base64 of 32 random bytes: the Standard Webhooks signing secret. */
  secret?: string;
  /** False after a `410 Gone` (or never, until re-enabled with `POST /webhooks/{id}/enable`). */
  enabled: boolean;
  /** Why and when the endpoint was disabled. */
  disabledReason?: string;
  disabledAt?: string;
  /** Until this time requests also carry a signature made with the previous secret. */
  previousSecretExpiresAt?: string;
  /**
   * The circuit breaker's state (docs/webhooks.md#circuit-breaker): `active`; `failing` (events held,
   * probes scheduled); `probing` (a probe is out); `paused` (by an operator); `disabled`.
   */
  state: WebhookEndpointStateOut;
  /** Since when it is in that state. */
  stateSince: string;
  /** Events waiting for the endpoint to be active again (0 while it is active). */
  heldEvents: number;
  /** When the next probe is due (failing only). */
  nextProbeAt?: string;
  /** The endpoint answered 429: nothing is sent to it before this time. */
  throttledUntil?: string;
  createdAt: string;
  updatedAt: string;
}

/** An endpoint's circuit-breaker state. */
export type WebhookEndpointStateOut = 'active' | 'failing' | 'probing' | 'paused' | 'disabled';

/** A delivery's state: `skipped` = the endpoint was disabled when the event arose (send it with recover). */
export type WebhookDeliveryStatusOut = 'pending' | 'succeeded' | 'failed' | 'skipped';

/** One delivery of one event to one endpoint (`GET /webhooks/deliveries`). */
export interface WebhookDeliveryOut {
  eventId: string;
  type: WebhookEventType;
  endpointId: string;
  url: string;
  status: WebhookDeliveryStatusOut;
  /** Attempts made so far, redeliveries included. */
  attempts: number;
  /** When the next attempt is due (pending deliveries only). */
  nextAttemptAt: string | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/** `GET /webhooks/deliveries` response: newest first; pass `nextCursor` as `cursor` for the next page. */
export interface WebhookDeliveryPageOut {
  deliveries: WebhookDeliveryOut[];
  nextCursor: string | null;
}

/** One HTTP attempt. */
export interface WebhookAttemptOut {
  attempt: number;
  startedAt: string;
  durationMs: number;
  /** The receiver's status code; absent when no response came (timeout, refused, blocked…). */
  httpStatus: number | null;
  /** The first 4 KiB of the response body. */
  responseBody: string | null;
  /**
   * The request headers sent, as sent (`webhook-id`, `webhook-timestamp`, `webhook-signature`,
   * `x-orra-sequence`…; the signature, never the secret). Null for attempts recorded before migration 20.
   */
  requestHeaders: Record<string, string> | null;
  /**
   * The response's headers, names lower-cased: the first 32, 4 KB at most in all; the rest are counted under
   * the key `(dropped)`. Null when no response came, and for attempts recorded before migration 20.
   */
  responseHeaders: Record<string, string> | null;
  error: string | null;
  succeeded: boolean;
}

/** `GET /webhooks/events/{event_id}`: the exact body sent and every attempt per endpoint. */
export interface WebhookEventOut {
  eventId: string;
  type: WebhookEventType;
  createdAt: string;
  /** The exact bytes sent as the request body (identical on every attempt and endpoint). */
  body: string;
  deliveries: (WebhookDeliveryOut & { attemptLog: WebhookAttemptOut[] })[];
}

/** `POST /webhooks/events/{event_id}/redeliver` body: limit the redelivery to one endpoint. */
export interface RedeliverIn {
  endpoint?: string;
}

/** `POST /webhooks/{id}/recover` body: redeliver failed and skipped deliveries of events since then. */
export interface RecoverIn {
  /** RFC 3339 time. */
  since: string;
}

/** Redelivery and recovery answers: how many deliveries were queued again. */
export interface RequeueOut {
  requeued: number;
}

/** `POST /webhooks/{id}/test`: the outcome of the single attempt (no retries). */
export interface WebhookTestOut {
  eventId: string;
  succeeded: boolean;
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

/** `POST /webhooks/{id}/rotate-secret`: the new secret; the old one keeps signing until `previousSecretExpiresAt`. */
export interface RotateSecretOut {
  id: string;
  secret: string;
  previousSecretExpiresAt: string;
}

/** The latest delivery attempt to an endpoint. */
export interface WebhookLastAttemptOut {
  at: string;
  /** The receiver's status code; null when no response came (timeout, refused, blocked…). */
  httpStatus: number | null;
  error: string | null;
  succeeded: boolean;
}

/** One endpoint's attempts in the window of `GET /webhooks/stats`. */
export interface WebhookEndpointStatsOut {
  endpointId: string;
  /** Attempts started in the window (retries, probes, redeliveries and test events each count). */
  attempts: number;
  succeeded: number;
  /** succeeded / attempts, from 0 to 1; null when there was no attempt. */
  successRate: number | null;
  /** The latest attempt of the window; null when there was none. */
  lastAttempt: WebhookLastAttemptOut | null;
}

/** `GET /webhooks/stats`: every live endpoint of the project (of `kind`, when given), in the list's order. */
export interface WebhookStatsOut {
  since: string;
  until: string;
  endpoints: WebhookEndpointStatsOut[];
}
