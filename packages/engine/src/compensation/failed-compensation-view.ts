import { rfc3339, type CompensationAuditOut, type FailedCompensationOut } from '@orra/protocol';
import type { CompensationAuditEntry, CompensationRecord } from '../storage/store.js';

/** A failed compensation in orra's FailedCompensation shape, plus the audit trail when given. */
export function toFailedCompensationOut(r: CompensationRecord, audit?: CompensationAuditEntry[]): FailedCompensationOut {
  return {
    id: r.id,
    projectId: r.projectId,
    orchestrationId: r.orchestrationId,
    taskId: r.taskId,
    serviceId: r.serviceId,
    serviceName: r.serviceName,
    compensationData: { data: r.data, context: r.context, ttl: r.ttlMs },
    status: r.status === 'expired' ? 'expired' : 'failed',
    resolutionState: r.resolutionState ?? 'pending',
    ...(r.lastError ? { failure: r.lastError } : {}),
    ...(r.resolution ? { resolution: r.resolution } : {}),
    attemptsMade: r.attempts,
    maxAttempts: r.maxAttempts,
    timestamp: rfc3339(r.failedAt ?? r.updatedAt),
    resolvedAt: r.resolvedAt === null ? null : rfc3339(r.resolvedAt),
    ...(audit ? { audit: audit.map(toAuditOut) } : {}),
  };
}

function toAuditOut(a: CompensationAuditEntry): CompensationAuditOut {
  return {
    timestamp: rfc3339(a.at),
    apiKeyId: a.keyId,
    action: a.action as CompensationAuditOut['action'],
    ...(a.reason ? { reason: a.reason } : {}),
    previousState: a.previousState,
    newState: a.newState,
  };
}
