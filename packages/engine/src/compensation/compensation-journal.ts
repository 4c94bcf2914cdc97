import type { CompensationRecord, JournalEntry, JournalEntryType } from '../storage/store.js';

type HistoryStatus = 'processing' | 'failed' | 'completed' | 'partial' | 'expired';

const TYPES: Record<HistoryStatus, JournalEntryType> = {
  processing: 'compensation_attempted',
  failed: 'compensation_failure',
  completed: 'compensation_complete',
  partial: 'compensation_partial',
  expired: 'compensation_expired',
};

/** orra's history entry ids (`comp_attempt_task1_2`, `comp_completed_task1`, …); `seq` keeps retries unique. */
function entryId(r: CompensationRecord, status: HistoryStatus, isFinal: boolean): string {
  switch (status) {
    case 'processing':
      return `comp_attempt_${r.taskId}_${r.attempts}`;
    case 'completed':
      return `comp_completed_${r.taskId}_${r.attempts}`;
    case 'partial':
      return `comp_completed_partially_${r.taskId}_${r.attempts}`;
    case 'expired':
      return `comp_expired_${r.taskId}_${r.attempts}`;
    case 'failed':
      return isFinal ? `comp_fail_${r.taskId}_${r.attempts}_final` : `comp_fail_${r.taskId}_${r.attempts}`;
  }
}

/**
 * A journal entry for one step of a compensation, shown as the task's `compensationHistory`. Steps of an
 * operator's retry are marked, since their attempt number runs past the automatic `maxAttempts`.
 */
export function historyEntry(
  r: CompensationRecord,
  status: HistoryStatus,
  at: number,
  { error, isManualRetry = false }: { error?: string; isManualRetry?: boolean } = {},
): JournalEntry {
  const isFinal = status !== 'processing' && r.status === status;
  return {
    orchestrationId: r.orchestrationId,
    type: TYPES[status],
    entryId: entryId(r, status, isFinal),
    taskId: r.taskId,
    producerId: r.serviceId,
    value: {
      compensationId: r.id,
      status,
      attempt: r.attempts,
      maxAttempts: r.maxAttempts,
      ...(r.executionId ? { executionId: r.executionId } : {}),
      ...(error ? { error } : {}),
      ...(status === 'partial' ? { partial: r.partial } : {}),
      isFinal,
      ...(isManualRetry ? { isManualRetry } : {}),
    },
    attempt: r.attempts,
    at,
  };
}
