import { ERROR_CODES, IDEMPOTENCY_KEY_TTL_MS } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { Repos, SubmissionKeyRecord } from '../storage/store.js';

/** The `Idempotency-Key` of a submission and the hash of its body, as the HTTP layer read them. */
export interface Submission {
  key: string;
  requestHash: string;
}

/** A key is live for 24 h after the submission that stored it; after that it may be used again. */
export const isLive = (record: SubmissionKeyRecord, now: number): boolean =>
  record.createdAt + IDEMPOTENCY_KEY_TTL_MS > now;

/**
 * Stripe's rule for a key seen before: the same body is answered from the first submission (the caller
 * replays it), another body is a 409 and nothing happens.
 */
export function refuseReuse(record: SubmissionKeyRecord, submission: Submission): void {
  if (record.requestHash === submission.requestHash) return;
  throw new EngineError(
    ERROR_CODES.IDEMPOTENCY_KEY_REUSED,
    `Idempotency-Key ${JSON.stringify(submission.key)} was used within the last 24 hours for a different request ` +
      `(orchestration ${record.orchestrationId}); send a new key for a new request`,
    { param: 'Idempotency-Key' },
  );
}

/**
 * Looks for the key inside the transaction that stores the orchestration. Returns the live record of a
 * submission that took the key first (a concurrent retry): the caller must then write nothing and
 * answer from that one. Otherwise the caller stores its orchestration and then the key (`keyRecord`;
 * the key refers to the orchestration, so it is written second) in the same transaction, so a crash
 * keeps both or neither. On PostgreSQL two transactions may both find no key; the second insert is a
 * unique violation, and the store runs that transaction again, which then finds the first one's key.
 */
export async function takenSubmissionKey(
  tx: Repos,
  projectId: string,
  submission: Submission,
  now: number,
): Promise<SubmissionKeyRecord | undefined> {
  const existing = await tx.submissionKeys.get(projectId, submission.key);
  if (existing && isLive(existing, now)) return existing;
  // An expired key not swept yet: the new submission replaces it.
  if (existing) await tx.submissionKeys.remove(projectId, submission.key);
  return undefined;
}

/** The row that ties a submission's key to the orchestration it stored. */
export function keyRecord(
  projectId: string,
  submission: Submission,
  orchestrationId: string,
  statusCode: number,
  now: number,
): SubmissionKeyRecord {
  return {
    projectId,
    key: submission.key,
    requestHash: submission.requestHash,
    orchestrationId,
    statusCode,
    createdAt: now,
  };
}
