import type { WebhookEndpointKind, WebhookEventType } from '@orra/protocol';
import type { EpochMs } from './records.js';

/** A receiver of one kind of event for one project. Deleted endpoints are kept (soft) for the history. */
export interface WebhookEndpointRecord {
  id: string;
  projectId: string;
  kind: WebhookEndpointKind;
  url: string;
  /** `whsec_…`; never logged. */
  secret: string;
  /** After a rotation, the old secret also signs until `previousSecretExpiresAt`. */
  previousSecret: string | null;
  previousSecretExpiresAt: EpochMs | null;
  isEnabled: boolean;
  disabledReason: string | null;
  disabledAt: EpochMs | null;
  createdAt: EpochMs;
  updatedAt: EpochMs;
  deletedAt: EpochMs | null;
}

/** One event, stored once with the exact body every delivery of it sends. */
export interface WebhookEventRecord {
  id: string;
  projectId: string;
  type: WebhookEventType;
  body: string;
  createdAt: EpochMs;
  /**
   * Its place in the project's event log: 1, 2, 3… without gaps, in commit order (EventLogRepo.nextSequence).
   * Null for `webhook.test` events, which are kept for the delivery history but are not in the log.
   */
  sequence: number | null;
  /** The `o_…`/`c_…` id the event is about (the CloudEvents `subject`); the endpoint id for a test event. */
  subject: string | null;
  /** The orchestration it belongs to (the feed's `orchestration_id` filter). */
  orchestrationId: string | null;
}

/**
 * `pending` = an attempt is due at `nextAttemptAt`; `skipped` = the endpoint was disabled when the event
 * arose (kept for `recover`); `succeeded`/`failed` are outcomes.
 */
export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'skipped';

export interface WebhookDeliveryRecord {
  /** Storage order; also the paging cursor. */
  seq: number;
  eventId: string;
  endpointId: string;
  projectId: string;
  eventType: WebhookEventType;
  status: WebhookDeliveryStatus;
  /** Attempts made in total (redeliveries included). */
  attempts: number;
  /** Attempts since the delivery was last queued: indexes the retry schedule. */
  runAttempts: number;
  nextAttemptAt: EpochMs | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  /** Bumped on every change, so a late attempt outcome cannot overwrite a newer state. */
  version: number;
  createdAt: EpochMs;
  updatedAt: EpochMs;
}

/** A delivery claimed for sending, with what the attempt needs. */
export interface DueDelivery {
  seq: number;
  projectId: string;
  eventId: string;
  eventType: WebhookEventType;
  eventCreatedAt: EpochMs;
  /** The event's place in its project's log (the `X-Orra-Sequence` header); null for a test event. */
  sequence: number | null;
  endpointId: string;
  body: string;
  url: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: EpochMs | null;
  runAttempts: number;
  attempts: number;
  version: number;
}

/** An endpoint with work, as the dispatcher sees it through the endpoint's breaker. */
export interface DueEndpoint {
  endpointId: string;
  /** When its earliest delivery is due; for a probe, when the probe is due. */
  dueAt: EpochMs;
  /** The endpoint is failing (or a probe never reported): what is due is a probe, not a delivery. */
  isProbe: boolean;
  /** Slow start after a recovery: requests allowed out at once (null: the endpoint's full limit). */
  window: number | null;
}

export interface WebhookAttemptRecord {
  deliverySeq: number;
  attempt: number;
  startedAt: EpochMs;
  durationMs: number;
  httpStatus: number | null;
  responseBody: string | null;
  /** The headers sent (absent or null on attempts recorded before migration 20). Stored as a JSON object. */
  requestHeaders?: Record<string, string> | null;
  /** The response's headers, bounded to 32 / 4 KB (webhooks/response-headers.ts); null when no response came. */
  responseHeaders?: Record<string, string> | null;
  error: string | null;
  isSuccess: boolean;
}

/** What one attempt changes: the attempt row, and the delivery's next state (if nobody changed it since). */
export interface AttemptOutcome {
  attempt: WebhookAttemptRecord;
  /** The delivery version the attempt was claimed with. */
  version: number;
  status: WebhookDeliveryStatus;
  nextAttemptAt: EpochMs | null;
  now: EpochMs;
  /**
   * Held by the breaker (a probe, an attempt while the endpoint was failing, a 429): the attempt is in
   * the history but the retry schedule does not move, so the event is not used up by the outage.
   */
  isHeld?: boolean;
}

export interface WebhookDeliveryFilter {
  status?: WebhookDeliveryStatus;
  type?: WebhookEventType;
  endpointId?: string;
  eventId?: string;
  /** Only deliveries of the orchestration's events (its own and its compensations'). */
  orchestrationId?: string;
  /** Only deliveries with a smaller seq (the previous page's cursor). */
  beforeSeq?: number;
  limit: number;
}

export interface WebhookEndpointRepo {
  insert(endpoint: WebhookEndpointRecord): Promise<void>;
  update(endpoint: WebhookEndpointRecord): Promise<void>;
  /** A live (not deleted) endpoint of the project. */
  get(projectId: string, id: string): Promise<WebhookEndpointRecord | undefined>;
  /** Live endpoints of the project, oldest first. */
  list(projectId: string, kind?: WebhookEndpointKind): Promise<WebhookEndpointRecord[]>;
  findByUrl(projectId: string, kind: WebhookEndpointKind, url: string): Promise<WebhookEndpointRecord | undefined>;
}

export interface WebhookDeliveryRepo {
  /** Stores the event; false (and nothing written) when an event with that id exists already. */
  insertEvent(event: WebhookEventRecord): Promise<boolean>;
  getEvent(projectId: string, eventId: string): Promise<WebhookEventRecord | undefined>;
  /**
   * Stores deliveries (one already stored for the event and endpoint is left as is). May resolve to the
   * new rows' seqs, in order (`null` for a row left as is), when the adapter has them at no cost (SQLite):
   * the outbox then hands them to the dispatcher, which need not read them back. Otherwise nothing.
   */
  insertDeliveries(deliveries: Omit<WebhookDeliveryRecord, 'seq'>[]): Promise<(number | null)[] | void>;
  /**
   * Each endpoint (but the excluded ones) with pending deliveries, and the earliest due time among them
   * leaving out the given deliveries (in flight). One index seek per endpoint, whatever the backlog.
   */
  listDueEndpoints(excludeSeqs: number[], excludeEndpoints: string[]): Promise<DueEndpoint[]>;
  /** The endpoint's pending deliveries due by `now`, oldest due first, at most `limit`, leaving out `excludeSeqs`. */
  listDue(endpointId: string, now: EpochMs, limit: number, excludeSeqs: number[]): Promise<DueDelivery[]>;
  /** Records attempts and applies each outcome whose delivery version is unchanged. */
  recordOutcomes(outcomes: AttemptOutcome[]): Promise<void>;
  /** Newest first, with the endpoint's URL. */
  list(projectId: string, filter: WebhookDeliveryFilter): Promise<(WebhookDeliveryRecord & { url: string })[]>;
  listAttempts(deliverySeqs: number[]): Promise<WebhookAttemptRecord[]>;
  /** Queues the event's deliveries (optionally to one endpoint) again, due now; returns how many. */
  requeueEvent(eventId: string, endpointIds: string[], now: EpochMs): Promise<number>;
  /** Queues the endpoint's failed and skipped deliveries of events created since `sinceMs` again. */
  requeueEndpoint(endpointId: string, sinceMs: EpochMs, now: EpochMs): Promise<number>;
  /** Ends the endpoint's pending deliveries (it was disabled: `skipped`; deleted: `failed`). */
  endPending(endpointId: string, status: 'skipped' | 'failed', reason: string, now: EpochMs): Promise<number>;
  /** Deliveries still to be sent or retried, across all projects, and when the oldest of them arose. */
  pendingSummary(): Promise<{ count: number; oldestCreatedAt: EpochMs | null }>;
}
