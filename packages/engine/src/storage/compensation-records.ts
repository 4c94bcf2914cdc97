import type { CompensationContext } from '@orra/protocol';
import type { EpochMs } from './records.js';

/**
 * Compensation lifecycle of one completed task of a revertible service. `waiting` = next attempt due
 * (or its service has no socket); `processing` = a request is out; the rest are outcomes.
 */
export type CompensationStatus = 'pending' | 'waiting' | 'processing' | 'completed' | 'partial' | 'failed' | 'expired';

/** An operator's view of a compensation that failed for good. */
export type ResolutionState = 'pending' | 'resolved' | 'ignored';

export interface CompensationRecord {
  /** `c_…`: also the id of the failed-compensation record, if it comes to that. */
  id: string;
  projectId: string;
  orchestrationId: string;
  taskId: string;
  serviceId: string;
  serviceName: string;
  /** Position in the orchestration's undo order (0 = first to undo: the last completed). */
  position: number;
  status: CompensationStatus;
  /** What the service returned with its result: `{data, ttl}`. */
  data: unknown;
  ttlMs: number;
  context: CompensationContext;
  /** The compensated task's original input (for the `compensation.failed` event). */
  taskInput: unknown;
  taskCompletedAt: EpochMs;
  idempotencyKey: string;
  executionId: string | null;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: EpochMs | null;
  lastError: string | null;
  partial: unknown;
  /** Set once the compensation failed for good: from then on it is a failed-compensation record. */
  failedAt: EpochMs | null;
  resolutionState: ResolutionState | null;
  resolution: string | null;
  resolvedAt: EpochMs | null;
  createdAt: EpochMs;
  updatedAt: EpochMs;
  /** When traced: the orchestration's anchor (parent of each attempt's span) and the attempt it undoes (linked). */
  traceContext?: string | null;
}

/** One operator action on a failed compensation, kept for audit. */
export interface CompensationAuditEntry {
  compensationId: string;
  at: EpochMs;
  /** Which API key acted (a hash prefix, never the key). */
  keyId: string;
  action: 'resolve' | 'ignore' | 'retry' | 'retry_succeeded' | 'retry_failed';
  reason: string | null;
  previousState: ResolutionState;
  newState: ResolutionState;
}

export interface FailedCompensationFilter {
  resolution?: ResolutionState;
  orchestrationId?: string;
  /** A service id, or a service name (exact, case-insensitive). */
  service?: string;
  limit?: number;
  offset?: number;
  /** Oldest failure first (the default is newest first). */
  isOldestFirst?: boolean;
}

/** Per orchestration: how many compensations there are and how they stand. */
export interface CompensationSummary {
  orchestrationId: string;
  total: number;
  completed: number;
  failed: number;
  active: number;
}

export interface CompensationRepo {
  save(records: CompensationRecord[]): Promise<void>;
  get(id: string): Promise<CompensationRecord | undefined>;
  listByOrchestration(orchestrationId: string): Promise<CompensationRecord[]>;
  /** The compensation sent under this idempotency key. */
  findByIdempotencyKey(idempotencyKey: string): Promise<CompensationRecord | undefined>;
  /** Compensations not yet at an outcome: the work to resume after a restart. */
  listActive(): Promise<CompensationRecord[]>;
  /** Failed compensations of a project, newest failure first. */
  listFailed(projectId: string, filter: FailedCompensationFilter): Promise<CompensationRecord[]>;
  /** How many failed compensations of the project the filter matches (`limit` and `offset` ignored). */
  countFailed(projectId: string, filter: FailedCompensationFilter): Promise<number>;
  countPendingFailures(): Promise<number>;
  summarize(orchestrationIds: string[]): Promise<CompensationSummary[]>;
  appendAudit(entry: CompensationAuditEntry): Promise<void>;
  listAudit(compensationId: string): Promise<CompensationAuditEntry[]>;
}
