import type { WebhookEventType } from '../webhooks/events.js';

/** The types of event the log holds (every webhook event, operator events included, but `webhook.test`, which is never logged). */
export const LOGGED_EVENT_TYPES = [
  'orchestration.completed',
  'orchestration.failed',
  'orchestration.aborted',
  'compensation.failed',
  'compensation.resolved',
  'compensation.ignored',
  'webhook.endpoint.disabled',
  'webhook.endpoint.enabled',
  'webhook.endpoint.failing',
  'webhook.endpoint.recovered',
  'webhook.delivery.exhausted',
  'task.late_result',
  'service.unhealthy',
  'service.healthy',
] as const satisfies readonly WebhookEventType[];

/** A type of event the log holds. */
export type LoggedEventType = (typeof LOGGED_EVENT_TYPES)[number];

/** A cursor is the decimal sequence, zero-padded to this many digits so cursors sort as strings do. */
export const CURSOR_DIGITS = 20;

/** The cursor of a sequence number: `00000000000000000042`. */
export function cursorOf(sequence: number): string {
  return String(sequence).padStart(CURSOR_DIGITS, '0');
}

/**
 * One event of the log as a CloudEvents 1.0 structured-mode JSON envelope. `data` is exactly the body
 * the webhook carries, and `id` is its `webhook-id`, so one parser and one idempotency key serve both.
 */
export interface EventEnvelopeOut {
  specversion: '1.0';
  /** The event id: the webhook's `webhook-id` and the body's `event_id`. */
  id: string;
  /** `/projects/<project id>`. */
  source: string;
  type: LoggedEventType;
  /** The id the event is about: `o_…` (orchestration events), `c_…` (compensation events), `wh_…` (endpoint events), the undelivered event's id (`webhook.delivery.exhausted`). */
  subject: string;
  /** When the event was committed (RFC 3339, milliseconds). */
  time: string;
  datacontenttype: 'application/json';
  /** CloudEvents `sequence` extension: the cursor of this event (zero-padded, sorts as a string). */
  sequence: string;
  data: Record<string, unknown>;
}

/** `GET /events`. */
export interface EventPageOut {
  data: EventEnvelopeOut[];
  /** Pass as `after` for the next page; on an empty page, the cursor given (store it either way). */
  next_cursor: string;
  /** True when more matching events follow at once (ask again without `wait`). */
  has_more: boolean;
  /** The project's newest event's cursor: how far behind `next_cursor` is. */
  head_cursor: string;
}
