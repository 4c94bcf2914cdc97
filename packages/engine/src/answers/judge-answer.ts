import type { SdkPayload } from '@orra/protocol';

/**
 * Where the work an answer names stands:
 * - `awaiting`: an attempt is out (or was out when its socket or engine went away) and has not been
 *   counted: a result or a failure answers it.
 * - `between_attempts`: the last attempt was counted as failed (an error or a timeout) and the next one
 *   is not out yet: a result is still welcome, a failure only repeats what was counted.
 * - `ended`: the task or compensation reached its outcome (or its orchestration ended).
 */
export type WorkPhase = 'awaiting' | 'between_attempts' | 'ended';

/** A task or a compensation, as far as answering it goes. */
export interface AnsweredWork {
  /** The service the work was sent to: the only one whose answers count. */
  serviceId: string;
  phase: WorkPhase;
}

export type AnswerVerdict =
  /** Apply it to the work, whatever `executionId` it carries. */
  | { action: 'accept' }
  /** Keep it as a late answer (recorded, visible in `inspect`, compensated when it is due). */
  | { action: 'late'; reason: string }
  /** A status for work that waits for nothing: nothing to keep. */
  | { action: 'ignore'; reason: string }
  /** Not this service's to answer, or no work by that key: refused and logged. */
  | { action: 'refuse'; reason: string };

/**
 * The one rule for a service's answer (`task_result`, `task_status`, `task_interim_result`,
 * `task_abort_result`) to a task or a compensation. An answer belongs to the work, not to the socket or
 * the attempt: a service that was sent the same work again (same idempotency key, new execution id)
 * after a restart, a dropped socket or a takeover answers the new request with `in_progress` and sends
 * the outcome under the execution id of the run that did the work. So the execution id never decides;
 * the idempotency key (which work), the sender (only the service the work was sent to) and the phase do.
 */
export function judgeAnswer(work: AnsweredWork | undefined, socketServiceId: string, payload: SdkPayload): AnswerVerdict {
  if (!work) return { action: 'refuse', reason: 'no task or compensation has this idempotency key' };
  if (work.serviceId !== socketServiceId) {
    return { action: 'refuse', reason: `the work was sent to service ${work.serviceId}, not to this one` };
  }
  if (payload.type === 'task_status') {
    return work.phase === 'ended'
      ? { action: 'ignore', reason: 'a status for work that has ended' }
      : { action: 'accept' };
  }
  if (work.phase === 'ended') return { action: 'late', reason: 'the work had already ended' };
  if (isFailureAnswer(payload) && work.phase === 'between_attempts') {
    return { action: 'late', reason: 'the attempt it answers was already counted as failed' };
  }
  return { action: 'accept' };
}

/** True when the payload reports a failure (`task_result` with an `error`). */
export function isFailureAnswer(payload: SdkPayload): boolean {
  return payload.type === 'task_result' && typeof payload.error === 'string' && payload.error !== '';
}
