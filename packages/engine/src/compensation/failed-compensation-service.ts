import { ERROR_CODES } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { ServiceConnections } from '../orchestration/service-connections.js';
import type { Caller } from '../projects/project-service.js';
import type {
  CompensationAuditEntry,
  CompensationRecord,
  FailedCompensationFilter,
  Repos,
  ResolutionState,
  Store,
} from '../storage/store.js';
import type { CompensationRunner } from './compensation-runner.js';

/**
 * The operator's queue of compensations that failed for good. Only `pending` records can be resolved,
 * ignored or retried (orra lets a record flip between states freely); every transition is audited.
 */
export class FailedCompensationService {
  constructor(
    private readonly store: Store,
    private readonly runner: CompensationRunner,
    private readonly connections: ServiceConnections,
    private readonly now: () => number = Date.now,
    /** Joins the transaction that resolves or ignores a record (the `compensation.resolved`/`ignored` operator event). */
    private readonly onDisposed?: {
      write(tx: Repos, record: CompensationRecord, action: 'resolve' | 'ignore', reason: string, keyId: string, at: number): Promise<unknown>;
      afterCommit(written: unknown): void;
    },
  ) {}

  list(projectId: string, filter: FailedCompensationFilter): Promise<CompensationRecord[]> {
    return this.store.compensations.listFailed(projectId, filter);
  }

  async get(projectId: string, id: string): Promise<{ record: CompensationRecord; audit: CompensationAuditEntry[] }> {
    const record = await this.find(projectId, id);
    return { record, audit: await this.store.compensations.listAudit(id) };
  }

  /** Marks a pending record `resolved` or `ignored` with the operator's reason. */
  async dispose(caller: Caller, id: string, action: 'resolve' | 'ignore', reason: unknown): Promise<CompensationRecord> {
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'reason: a non-empty reason is required', { param: 'reason' });
    }
    const newState: ResolutionState = action === 'resolve' ? 'resolved' : 'ignored';
    let written: unknown;
    const result = await this.store.transaction(async (tx) => {
      const record = await tx.compensations.get(id);
      if (!record || record.projectId !== caller.projectId || record.failedAt === null) throw notFound(id);
      assertPending(record, action);
      const now = this.now();
      const updated: CompensationRecord = { ...record, resolutionState: newState, resolution: reason, resolvedAt: now, updatedAt: now };
      await tx.compensations.save([updated]);
      await tx.compensations.appendAudit({
        compensationId: id,
        at: now,
        keyId: caller.keyId,
        action,
        reason,
        previousState: 'pending',
        newState,
      });
      written = await this.onDisposed?.write(tx, updated, action, reason, caller.keyId, now);
      return updated;
    });
    this.onDisposed?.afterCommit(written);
    return result;
  }

  /** Runs the compensation once more now; the record is `resolved` only if that attempt succeeds. */
  async retry(caller: Caller, id: string): Promise<CompensationRecord> {
    const record = await this.find(caller.projectId, id);
    assertPending(record, 'retry');
    if (record.status === 'waiting' || record.status === 'processing') {
      throw new EngineError(ERROR_CODES.CONFLICT, `compensation ${id} is already being retried`);
    }
    if (!this.connections.isConnected(record.serviceId)) {
      throw new EngineError(
        ERROR_CODES.CONFLICT,
        `service ${record.serviceName} (${record.serviceId}) has no live connection; retry once it is connected`,
      );
    }
    return this.runner.retry(record, caller.keyId);
  }

  private async find(projectId: string, id: string): Promise<CompensationRecord> {
    const record = await this.store.compensations.get(id);
    if (!record || record.projectId !== projectId || record.failedAt === null) throw notFound(id);
    return record;
  }
}

function assertPending(record: CompensationRecord, action: string): void {
  if (record.resolutionState !== 'pending') {
    throw new EngineError(
      ERROR_CODES.CONFLICT,
      `cannot ${action} compensation failure ${record.id}: it is already ${record.resolutionState}`,
    );
  }
}

const notFound = (id: string) => new EngineError(ERROR_CODES.NOT_FOUND, `failed compensation not found: ${id}`, { param: 'id' });
