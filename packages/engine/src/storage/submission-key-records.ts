import type { EpochMs } from './records.js';

/**
 * The `Idempotency-Key` of one `POST /orchestrations`, stored in the transaction that stored the
 * orchestration it made. The key is per project; the row lives for 24 h (then the retention sweeper
 * deletes it, and the key may be used again).
 */
export interface SubmissionKeyRecord {
  projectId: string;
  key: string;
  /** SHA-256 hex of the request body in canonical JSON: the same key with another body is refused. */
  requestHash: string;
  orchestrationId: string;
  /** The status code of the first answer (202, or 400 for a stored `not_actionable` orchestration). */
  statusCode: number;
  createdAt: EpochMs;
}

export interface SubmissionKeyRepo {
  get(projectId: string, key: string): Promise<SubmissionKeyRecord | undefined>;
  /** Inserts a key; one the project has already (even an expired one) is a unique violation. */
  insert(record: SubmissionKeyRecord): Promise<void>;
  /** Deletes one key (an expired row about to be replaced). */
  remove(projectId: string, key: string): Promise<void>;
}
