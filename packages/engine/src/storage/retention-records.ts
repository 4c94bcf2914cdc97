import type { EpochMs } from './records.js';

/**
 * Deleting what has been kept long enough (the retention sweeper). Each call deletes at most `limit`
 * items with everything that belongs to them, in the caller's transaction, and returns how many.
 */
export interface RetentionRepo {
  /**
   * Orchestrations that ended (completed, failed, aborted) before `cutoff`, with their tasks, journal and
   * compensations, unless a compensation of theirs is still running or is a failed compensation an
   * operator has not dealt with yet (`pending`): those stay until it is resolved, ignored or retried.
   * Their submission keys go with them (a retention shorter than a day ends a key's life early).
   */
  pruneOrchestrations(cutoff: EpochMs, limit: number): Promise<number>;
  /** Webhook events created before `cutoff` with their deliveries and attempts, unless a delivery is still pending. */
  pruneWebhookEvents(cutoff: EpochMs, limit: number): Promise<number>;
  /** `Idempotency-Key`s of submissions created before `cutoff` (their orchestrations stay). */
  pruneSubmissionKeys(cutoff: EpochMs, limit: number): Promise<number>;
}
