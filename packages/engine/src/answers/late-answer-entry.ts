import type { SdkPayload } from '@orra/protocol';
import type { JournalEntry } from '../storage/store.js';
import { isFailureAnswer } from './judge-answer.js';

/** What became of a late answer: undone by a compensation, or kept for the operators only. */
export type LateAnswerDisposition = 'compensating' | 'recorded';

/** The value of a `late_answer` journal entry (shown as `lateAnswers` in `inspect`). */
export interface LateAnswerValue {
  /** Whether it answered the task or its compensation. */
  of: 'task' | 'compensation';
  type: SdkPayload['type'];
  executionId: string | null;
  serviceId: string;
  /** `result` (success), `failure`, or `abort` (a handler aborting after the fact). */
  outcome: 'result' | 'failure' | 'abort';
  /** The task's output (results), or the abort payload. */
  output?: unknown;
  error?: string;
  /** Why it came too late to count. */
  reason: string;
  disposition: LateAnswerDisposition;
}

/**
 * The journal entry recording a late answer. Its id is derived from what was said (execution id,
 * outcome), so a re-send of the same late answer (its ACK was lost) is recorded once.
 */
export function lateAnswerEntry(
  target: { orchestrationId: string; taskId: string; of: LateAnswerValue['of'] },
  serviceId: string,
  payload: SdkPayload,
  details: { reason: string; disposition: LateAnswerDisposition; attempt: number; at: number },
): JournalEntry {
  const isFailure = isFailureAnswer(payload);
  const outcome: LateAnswerValue['outcome'] =
    payload.type === 'task_abort_result' ? 'abort' : isFailure ? 'failure' : 'result';
  const executionId = 'executionId' in payload && payload.executionId ? payload.executionId : null;
  const result = 'result' in payload ? (payload.result as { task?: unknown } | null | undefined) : undefined;
  const value: LateAnswerValue = {
    of: target.of,
    type: payload.type,
    executionId,
    serviceId,
    outcome,
    ...(isFailure ? { error: (payload as { error: string }).error } : target.of === 'task' ? { output: result?.task ?? null } : { output: result ?? null }),
    reason: details.reason,
    disposition: details.disposition,
  };
  return {
    orchestrationId: target.orchestrationId,
    type: 'late_answer',
    entryId: `late_${target.of}_${target.taskId}_${executionId ?? 'none'}_${outcome}`,
    taskId: target.taskId,
    producerId: serviceId,
    value,
    attempt: details.attempt,
    at: details.at,
  };
}
