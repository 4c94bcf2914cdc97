import type { WebhookEventType } from '@orra/protocol';
import type { WebhookEventRecord } from './webhook-records.js';

/** Which of a project's events to read, ascending by sequence. */
export interface EventLogFilter {
  /** Exclusive: events with a larger sequence. */
  afterSequence: number;
  limit: number;
  /** Only these types (any when absent). */
  types?: readonly WebhookEventType[];
  orchestrationId?: string;
}

/** How far a project's log reaches. */
export interface EventLogBounds {
  /** The newest sequence committed (0: no event yet). */
  headSequence: number;
  /** The highest sequence retention has deleted (0: none). A cursor below it has lost events. */
  prunedThrough: number;
}

/**
 * The per-project event log. Events are `webhook_events` rows; this repo numbers and reads them.
 */
export interface EventLogRepo {
  /**
   * Takes the project's next sequence from its counter row, in the caller's transaction. The row stays
   * locked until the transaction ends, so the project's events commit in sequence order and a reader that
   * sees sequence n has seen every smaller one. On PostgreSQL it also queues a NOTIFY sent on commit.
   */
  nextSequence(projectId: string): Promise<number>;
  /**
   * Gives back `sequence`, just taken by `nextSequence` in this transaction for an event that turned out to
   * be stored already, so that no number is burned (the counter row is still this transaction's).
   */
  releaseSequence(projectId: string, sequence: number): Promise<void>;
  list(projectId: string, filter: EventLogFilter): Promise<WebhookEventRecord[]>;
  bounds(projectId: string): Promise<EventLogBounds>;
}
