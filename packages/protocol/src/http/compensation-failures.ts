import type { CompensationContext } from '../ws/messages.js';

/** How an operator disposed of a failed compensation. */
export type ResolutionStateOut = 'pending' | 'resolved' | 'ignored';

/** One operator action on a failed compensation. */
export interface CompensationAuditOut {
  timestamp: string;
  /** Which API key acted: a hash prefix, never the key. */
  apiKeyId: string;
  action: 'resolve' | 'ignore' | 'retry_succeeded' | 'retry_failed';
  reason?: string;
  previousState: ResolutionStateOut;
  newState: ResolutionStateOut;
}

/** A compensation that failed for good (orra's FailedCompensation, `orra-compat.md` §6.5). */
export interface FailedCompensationOut {
  id: string;
  projectId: string;
  orchestrationId: string;
  taskId: string;
  serviceId: string;
  serviceName: string;
  compensationData: { data: unknown; context: CompensationContext; ttl: number };
  status: 'failed' | 'expired';
  resolutionState: ResolutionStateOut;
  failure?: string;
  resolution?: string;
  attemptsMade: number;
  maxAttempts: number;
  /** When it failed (RFC 3339). */
  timestamp: string;
  /** When it was resolved or ignored; null while pending (orra sends its zero time). */
  resolvedAt: string | null;
  /** `GET /compensation-failures/{id}` only: every operator action, oldest first. */
  audit?: CompensationAuditOut[];
}

/** `POST /compensation-failures/{id}/resolve` and `/ignore` body. */
export interface ResolutionIn {
  reason: string;
}
