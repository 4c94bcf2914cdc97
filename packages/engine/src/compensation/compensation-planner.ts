import { newCompensationId, rfc3339, type CompensationContext } from '@orra/protocol';
import type { Step } from '../orchestration/step.js';
import type { CompensationRecord } from '../storage/store.js';
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
  const context: CompensationContext = {
    orchestrationId: record.id,
    reason: record.status,
    ...(record.status === 'failed' ? { payload: record.error } : record.abortReason != null ? { payload: record.abortReason } : {}),
    timestamp: rfc3339(step.now),
  };
  const done = [...step.live.tasks.values()]
    .filter((t) => t.state === 'completed' && t.compensation && t.completedAt !== null)
    // Ties (same millisecond) fall back to plan order, so the later task is still undone first.
    .sort((a, b) => (b.completedAt as number) - (a.completedAt as number) || b.seq - a.seq);
  return done.map((t, position) => ({
    id: newCompensationId(),
    projectId: record.projectId,
    orchestrationId: record.id,
    taskId: t.taskId,
    serviceId: t.serviceId,
    serviceName: t.serviceName,
    position,
    status: 'pending',
    data: t.compensation?.data ?? null,
    ttlMs: typeof t.compensation?.ttl === 'number' && t.compensation.ttl > 0 ? t.compensation.ttl : 24 * 3_600_000,
    context,
    taskInput: t.resolvedInput,
    taskCompletedAt: t.completedAt as number,
    idempotencyKey: compensationIdempotencyKey(record.id, t.taskId),
    executionId: null,
    attempts: 0,
    maxAttempts: limits.maxAttempts,
    nextAttemptAt: null,
    lastError: null,
    partial: null,
    failedAt: null,
    resolutionState: null,
    resolution: null,
    resolvedAt: null,
    createdAt: step.now,
    updatedAt: step.now,
  }));
}
