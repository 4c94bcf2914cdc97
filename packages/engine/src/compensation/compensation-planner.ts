import { newCompensationId, rfc3339, type CompensationContext } from '@orra/protocol';
import type { Step } from '../orchestration/step.js';
import type { CompensationRecord, OrchestrationRecord, TaskRecord } from '../storage/store.js';
import { compensationIdempotencyKey } from '../orchestration/idempotency-key.js';

export interface CompensationLimits {
  maxAttempts: number;
}

/**
 * Picks what to undo when an orchestration fails or is aborted: every completed task that returned
 * compensation data (only revertible services do), newest completion first. orra sorts task ids as
 * strings instead, so `task9` would be undone before `task10` whatever the real order was.
 */
export function planCompensations(step: Step, limits: CompensationLimits): CompensationRecord[] {
  const { record } = step.live;
  if (record.status !== 'failed' && record.status !== 'aborted') return [];
  const context = compensationContext(record, step.now);
  const done = [...step.live.tasks.values()]
    .filter((t) => t.state === 'completed' && t.compensation && t.completedAt !== null)
    // Ties (same millisecond) fall back to plan order, so the later task is still undone first.
    .sort((a, b) => (b.completedAt as number) - (a.completedAt as number) || b.seq - a.seq);
  return done.map((t, position) =>
    compensationFor(record, t, { position, context, completedAt: t.completedAt as number, now: step.now, limits }),
  );
}

/** Why an ended orchestration's work is undone: its failure or its abort, with the payload. */
export function compensationContext(record: OrchestrationRecord, now: number): CompensationContext {
  return {
    orchestrationId: record.id,
    reason: record.status === 'failed' ? 'failed' : 'aborted',
    ...(record.status === 'failed' ? { payload: record.error } : record.abortReason != null ? { payload: record.abortReason } : {}),
    timestamp: rfc3339(now),
  };
}

/** The compensation of one task that completed with compensation data. */
export function compensationFor(
  record: OrchestrationRecord,
  t: Pick<TaskRecord, 'taskId' | 'serviceId' | 'serviceName' | 'compensation' | 'resolvedInput'>,
  at: { position: number; context: CompensationContext; completedAt: number; now: number; limits: CompensationLimits },
): CompensationRecord {
  return {
    id: newCompensationId(),
    projectId: record.projectId,
    orchestrationId: record.id,
    taskId: t.taskId,
    serviceId: t.serviceId,
    serviceName: t.serviceName,
    position: at.position,
    status: 'pending',
    data: t.compensation?.data ?? null,
    ttlMs: typeof t.compensation?.ttl === 'number' && t.compensation.ttl > 0 ? t.compensation.ttl : 24 * 3_600_000,
    context: at.context,
    taskInput: t.resolvedInput,
    taskCompletedAt: at.completedAt,
    idempotencyKey: compensationIdempotencyKey(record.id, t.taskId),
    executionId: null,
    attempts: 0,
    maxAttempts: at.limits.maxAttempts,
    nextAttemptAt: null,
    lastError: null,
    partial: null,
    failedAt: null,
    resolutionState: null,
    resolution: null,
    resolvedAt: null,
    createdAt: at.now,
    updatedAt: at.now,
  };
}
