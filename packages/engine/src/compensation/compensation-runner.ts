import {
  describeFrameOverflow,
  frameOverflowBytes,
  newCompensationExecutionId,
  type CompensationRequest,
  type SdkPayload,
} from '@orra/protocol';
import type { ProgressNotice } from '../events/progress-signal.js';
import type { Logger } from '../logging/logger.js';
import { backoffMs } from '../orchestration/backoff.js';
import type { ServiceConnections } from '../orchestration/service-connections.js';
import type { CompensationAuditEntry, CompensationRecord, JournalEntry, Repos, Store } from '../storage/store.js';
import { TimerQueue } from '../timers/timer-queue.js';
import { isFailureAnswer, judgeAnswer, type WorkPhase } from '../answers/judge-answer.js';
import { lateAnswerEntry } from '../answers/late-answer-entry.js';
import { logRefusedAnswer } from '../answers/refused-answer.js';
import { Tracing } from '../tracing/tracing.js';
import { historyEntry } from './compensation-journal.js';

export interface CompensationRunnerOptions {
  attemptTimeoutMs: number;
  backoffMs: number;
  backoffCapMs: number;
  now?: () => number;
  tracing?: Tracing;
  /** Told after each committed change of a compensation (event streams' progress notices). */
  onProgress?: (projectId: string, notice: ProgressNotice) => void;
}

/** Called when a compensation fails for good: `write` joins the failing transaction (webhook outbox). */
export interface CompensationFailureHook {
  write(tx: Repos, record: CompensationRecord): Promise<void>;
  afterCommit(record: CompensationRecord): void;
}

/**
 * Called when an operator's retry of a failed compensation succeeds, which resolves it: `write` joins the
 * transaction that records it (the `compensation.resolved` operator event), with the key that retried.
 */
export interface CompensationResolvedHook {
  write(tx: Repos, record: CompensationRecord, keyId: string): Promise<void>;
  afterCommit(record: CompensationRecord): void;
}

interface RetryWaiter {
  keyId: string;
  resolve: (record: CompensationRecord) => void;
}

const OPEN = new Set(['pending', 'waiting', 'processing']);

/**
 * Undoes completed work, one task at a time per orchestration, in the order the planner chose. Driven
 * by events like the orchestration runner: results, sockets opening and closing, and timers whose due
 * times are stored (`nextAttemptAt`, TTL from the task's completion), so a restart carries on.
 * While a service has no socket its compensation waits without spending attempts, until the TTL runs out.
 */
export class CompensationRunner {
  private readonly records = new Map<string, CompensationRecord>();
  private readonly byKey = new Map<string, string>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly sentTo = new Map<string, string>();
  private readonly outcomeWaiters = new Map<string, RetryWaiter>();
  private readonly failureHooks: CompensationFailureHook[] = [];
  private readonly resolvedHooks: CompensationResolvedHook[] = [];
  private readonly timers: TimerQueue;
  private readonly now: () => number;
  private readonly tracing: Tracing;
  private isStopped = false;

  constructor(
    private readonly store: Store,
    private readonly connections: ServiceConnections,
    private readonly log: Logger,
    private readonly options: CompensationRunnerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.tracing = options.tracing ?? Tracing.off();
    this.timers = new TimerQueue(this.now);
  }

  onFailure(hook: CompensationFailureHook): void {
    this.failureHooks.push(hook);
  }

  onResolvedByRetry(hook: CompensationResolvedHook): void {
    this.resolvedHooks.push(hook);
  }

  /** Starts (or resumes) the given compensations, which must already be stored. */
  begin(records: CompensationRecord[]): void {
    for (const r of records) {
      this.records.set(r.id, r);
      this.byKey.set(r.idempotencyKey, r.id);
    }
    for (const orchestrationId of new Set(records.map((r) => r.orchestrationId))) this.next(orchestrationId);
  }

  /** Loads compensations that had not reached an outcome and carries on (restart = resume). */
  async resumeAll(): Promise<number> {
    return this.resume(await this.store.compensations.listActive());
  }

  /**
   * Carries on with the given active compensations, read from storage: all of them after a restart, or
   * those of a dead engine process this one has just claimed (cluster/). Ones already here are skipped.
   */
  resume(records: CompensationRecord[], attemptsOut: ReadonlyMap<string, string> = new Map()): number {
    const active = records.filter((r) => !this.records.has(r.id));
    const stillOut: [CompensationRecord, string][] = [];
    for (const r of active) {
      if (r.status !== 'processing') continue;
      const socketId = r.executionId ? attemptsOut.get(r.executionId) : undefined;
      // Still out with a live engine process (a takeover): not sent again; it is waited for from now.
      if (socketId) stillOut.push([r, socketId]);
      // An attempt that was out when the engine stopped is not counted: its socket is gone.
      else Object.assign(r, { status: 'waiting', attempts: r.attempts - 1 });
    }
    for (const [r, socketId] of stillOut) {
      this.sentTo.set(r.id, socketId);
      const executionId = r.executionId;
      this.timers.set(`next|${r.id}`, this.now() + this.options.attemptTimeoutMs, () =>
        this.enqueue(r.orchestrationId, async () => {
          if (r.status === 'processing' && r.executionId === executionId) {
            await this.failAttempt(r, 'timed out waiting for compensation result');
          }
        }),
      );
    }
    this.begin(active);
    return active.length;
  }

  /** True while a compensation with this idempotency key is running here (it may still receive a result). */
  owns(idempotencyKey: string): boolean {
    return this.byKey.has(idempotencyKey);
  }

  /**
   * Runs one more attempt of a failed compensation now, ignoring its TTL (an operator asked for it).
   * Resolves with the record at its outcome: `resolved` on success, still `pending` with the new failure
   * otherwise. The audit entry commits with the outcome.
   *
   * A manual retry is one attempt beyond the automatic ones: `attempts` counts it (the first retry after
   * ten automatic attempts is attempt 11), `maxAttempts` stays the automatic budget, and a failure ends
   * the retry at once, whatever attempts remain.
   */
  retry(record: CompensationRecord, keyId: string): Promise<CompensationRecord> {
    return new Promise((resolve) => {
      const r = { ...record, status: 'waiting' as const, nextAttemptAt: null };
      this.outcomeWaiters.set(r.id, { keyId, resolve });
      this.records.set(r.id, r);
      this.byKey.set(r.idempotencyKey, r.id);
      void this.enqueue(r.orchestrationId, () => this.attempt(r));
    });
  }

  /**
   * A service's answer for a compensation running here. Resolves once its effect is committed, with
   * false when no compensation here waits on its key any more (the caller then treats it as an answer
   * for ended work, from storage).
   */
  async handlePayload(serviceId: string, payload: SdkPayload): Promise<boolean> {
    if (payload.type === 'pong' || !payload.idempotencyKey) return false;
    const id = this.byKey.get(payload.idempotencyKey);
    const r = id ? this.records.get(id) : undefined;
    if (!r) return false;
    let isHandled = false;
    await this.enqueue(r.orchestrationId, async () => {
      const phase = compensationPhase(r);
      if (phase === 'ended' || this.records.get(r.id) !== r) return; // storage has the outcome now
      isHandled = true;
      const verdict = judgeAnswer({ serviceId: r.serviceId, phase }, serviceId, payload);
      if (verdict.action === 'refuse') return logRefusedAnswer(this.log, serviceId, payload, verdict.reason);
      if (verdict.action === 'late') {
        this.log.warn(
          { orchestrationId: r.orchestrationId, taskId: r.taskId, serviceId, executionId: payload.executionId },
          'late answer recorded',
        );
        const entry = lateAnswerEntry({ orchestrationId: r.orchestrationId, taskId: r.taskId, of: 'compensation' }, serviceId, payload, {
          reason: verdict.reason,
          disposition: 'recorded',
          attempt: r.attempts,
          at: this.now(),
        });
        await this.store.transaction((tx) => tx.journal.append([entry]));
        return;
      }
      if (verdict.action === 'ignore' || payload.type !== 'task_result') return;
      // Whatever execution id it carries, it answers the attempt out. An attempt that was out when its
      // socket or engine went away was given back (`waiting`); it did run, so it counts again.
      if (r.status !== 'processing') r.attempts += 1;
      const result = (payload.result ?? null) as { status?: string; partial?: unknown } | null;
      // A returned `status: failed` is a failure (orra records it as completed).
      if (isFailureAnswer(payload) || result?.status === 'failed') {
        this.tracing.compensationAttemptEnded(r, 'failed', 'compensation_error');
        return this.failAttempt(r, payload.error || 'compensation handler returned status failed');
      }
      const isPartial = result?.status === 'partial';
      await this.finish(r, isPartial ? 'partial' : 'completed', null, isPartial ? (result?.partial ?? null) : null);
    });
    return isHandled;
  }

  onServiceConnected(serviceId: string): void {
    for (const r of this.records.values()) {
      if (r.serviceId === serviceId && r.status === 'waiting' && (r.nextAttemptAt ?? 0) <= this.now()) {
        void this.enqueue(r.orchestrationId, () => this.attempt(r));
      }
    }
  }

  onSocketClosed(_serviceId: string, socketId: string): void {
    for (const [id, sock] of this.sentTo) {
      const r = this.records.get(id);
      if (sock !== socketId || !r) continue;
      this.sentTo.delete(id);
      void this.enqueue(r.orchestrationId, async () => {
        if (r.status !== 'processing') return;
        // The attempt never had a chance: give it back, and wait for the service.
        this.tracing.compensationAttemptEnded(r, 'interrupted', 'service_disconnected');
        r.attempts -= 1;
        r.status = 'waiting';
        r.nextAttemptAt = null;
        await this.save(r, []);
        await this.attempt(r);
      });
    }
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    this.timers.clearAll();
    await Promise.all(this.chains.values());
  }

  // ---------------------------------------------------------------------------------------------

  /** The first open compensation of the orchestration runs; the others wait their turn. */
  private next(orchestrationId: string): void {
    const open = [...this.records.values()]
      .filter((r) => r.orchestrationId === orchestrationId && OPEN.has(r.status))
      .sort((a, b) => a.position - b.position)[0];
    if (open) void this.enqueue(orchestrationId, () => this.attempt(open));
  }

  /**
   * One compensation of an orchestration at a time, lowest position first: a late result's compensation
   * (answers/unowned-answers.ts) joins an orchestration whose others may be running, and waits for the
   * one that is out.
   */
  private isTurnOf(r: CompensationRecord): boolean {
    for (const o of this.records.values()) {
      if (o === r || o.orchestrationId !== r.orchestrationId || !OPEN.has(o.status) || this.outcomeWaiters.has(o.id)) continue;
      if (o.status === 'processing' || o.position < r.position) return false;
    }
    return true;
  }

  private enqueue(orchestrationId: string, work: () => Promise<void>): Promise<void> {
    const run = async () => {
      if (this.isStopped) return;
      try {
        await work();
      } catch (err) {
        this.log.error({ err, orchestrationId }, 'compensation step failed');
      }
    };
    const chain = (this.chains.get(orchestrationId) ?? Promise.resolve()).then(run);
    this.chains.set(orchestrationId, chain);
    void chain.then(() => {
      if (this.chains.get(orchestrationId) === chain) this.chains.delete(orchestrationId);
    });
    return chain;
  }

  private async attempt(r: CompensationRecord): Promise<void> {
    if (!OPEN.has(r.status) || r.status === 'processing') return;
    const now = this.now();
    const isRetry = this.outcomeWaiters.has(r.id);
    if (!isRetry && !this.isTurnOf(r)) return; // `next` starts it when those before it have an outcome
    const expiresAt = r.taskCompletedAt + r.ttlMs;
    if (!isRetry && now >= expiresAt) {
      return this.finish(r, 'expired', `compensation TTL of ${r.ttlMs} ms expired before the compensation succeeded`, null);
    }
    if (!isRetry) this.timers.set(`exp|${r.id}`, expiresAt, () => this.enqueue(r.orchestrationId, () => this.expire(r)));
    if (r.nextAttemptAt !== null && r.nextAttemptAt > now) {
      this.timers.set(`next|${r.id}`, r.nextAttemptAt, () => this.enqueue(r.orchestrationId, () => this.attempt(r)));
      return;
    }
    if (!this.connections.isConnected(r.serviceId)) {
      if (r.status !== 'waiting') {
        r.status = 'waiting';
        await this.save(r, []);
      }
      return; // onServiceConnected resumes it
    }
    const executionId = newCompensationExecutionId();
    const message: CompensationRequest = {
      type: 'compensation_request',
      id: r.taskId,
      input: r.data,
      compensationContext: r.context,
      executionId,
      idempotencyKey: r.idempotencyKey,
      serviceId: r.serviceId,
    };
    // Sent, it would close the service's socket (1009) on every attempt: it goes to the operators instead.
    const overflow = frameOverflowBytes(message);
    if (overflow !== undefined) {
      const payload = r.context.reason === 'aborted' ? 'abort' : 'failure';
      return this.finish(
        r,
        'failed',
        `the compensation request cannot be sent: with the task's compensation data and the ${payload} payload ` +
          `it would be ${describeFrameOverflow(overflow)}; undo ${r.taskId} by hand, then resolve this failure`,
        null,
      );
    }
    r.status = 'processing';
    r.attempts += 1;
    r.executionId = executionId;
    r.nextAttemptAt = null;
    Object.assign(message, this.tracing.compensationAttemptStarted(r, now));
    await this.save(r, [historyEntry(r, 'processing', now, { isManualRetry: isRetry })]);
    const socketId = this.connections.send(r.serviceId, message);
    if (!socketId) {
      // The socket closed while the attempt was being recorded: it never went out, so it does not count.
      this.tracing.compensationAttemptEnded(r, 'interrupted', 'service_disconnected');
      r.status = 'waiting';
      r.attempts -= 1;
      await this.save(r, []);
      return;
    }
    this.sentTo.set(r.id, socketId);
    this.timers.set(`next|${r.id}`, now + this.options.attemptTimeoutMs, () =>
      this.enqueue(r.orchestrationId, async () => {
        if (r.status === 'processing' && r.executionId === executionId) {
          this.tracing.compensationAttemptEnded(r, 'timeout', 'timeout');
          await this.failAttempt(r, 'timed out waiting for compensation result');
        }
      }),
    );
  }

  private async failAttempt(r: CompensationRecord, error: string): Promise<void> {
    this.sentTo.delete(r.id);
    r.lastError = error;
    if (this.outcomeWaiters.has(r.id)) {
      return this.finish(r, 'failed', `manual retry (attempt ${r.attempts}) failed: ${error}`, null);
    }
    if (r.attempts >= r.maxAttempts) {
      return this.finish(r, 'failed', `max compensation attempts (${r.maxAttempts}) reached: ${error}`, null);
    }
    r.status = 'waiting';
    r.nextAttemptAt = this.now() + backoffMs(r.attempts, this.options.backoffMs, this.options.backoffCapMs);
    await this.save(r, [historyEntry(r, 'failed', this.now(), { error })]);
    await this.attempt(r);
  }

  private async expire(r: CompensationRecord): Promise<void> {
    if (!OPEN.has(r.status) || this.outcomeWaiters.has(r.id)) return;
    await this.finish(r, 'expired', `compensation TTL of ${r.ttlMs} ms expired before the compensation succeeded`, null);
  }

  /** Records an outcome; a failure or expiry becomes a pending failed-compensation in the same transaction. */
  private async finish(
    r: CompensationRecord,
    status: 'completed' | 'partial' | 'failed' | 'expired',
    error: string | null,
    partial: unknown,
  ): Promise<void> {
    const now = this.now();
    const waiter = this.outcomeWaiters.get(r.id);
    this.tracing.compensationAttemptEnded(r, status, status === 'failed' || status === 'expired' ? `compensation_${status}` : undefined);
    r.status = status;
    r.partial = partial;
    r.updatedAt = now;
    r.nextAttemptAt = null;
    const isFailure = status === 'failed' || status === 'expired';
    if (isFailure) {
      r.lastError = error;
      r.failedAt = now;
      r.resolutionState = 'pending';
    } else if (waiter) {
      r.resolutionState = 'resolved';
      r.resolution = `compensation retried successfully (${status})`;
      r.resolvedAt = now;
    }
    const audit = waiter && {
      compensationId: r.id,
      at: now,
      keyId: waiter.keyId,
      action: isFailure ? ('retry_failed' as const) : ('retry_succeeded' as const),
      reason: isFailure ? error : null,
      previousState: 'pending' as const,
      newState: r.resolutionState ?? ('pending' as const),
    };
    const entry = historyEntry(r, status, now, { error: error ?? undefined, isManualRetry: waiter !== undefined });
    const isResolved = waiter !== undefined && !isFailure;
    const resolvedHooks = isResolved ? this.resolvedHooks.map((h) => ({ write: (tx: Repos, rec: CompensationRecord) => h.write(tx, rec, waiter.keyId) })) : [];
    await this.save(r, [entry], isFailure ? this.failureHooks : resolvedHooks, audit || undefined);
    this.release(r);
    if (isFailure) for (const hook of this.failureHooks) hook.afterCommit(r);
    if (isResolved) for (const hook of this.resolvedHooks) hook.afterCommit(r);
    if (waiter) {
      this.outcomeWaiters.delete(r.id);
      waiter.resolve(r);
    } else {
      this.next(r.orchestrationId);
    }
  }

  private async save(
    r: CompensationRecord,
    journal: JournalEntry[],
    hooks: Pick<CompensationFailureHook, 'write'>[] = [],
    audit?: CompensationAuditEntry,
  ): Promise<void> {
    r.updatedAt = this.now();
    await this.store.transaction(async (tx) => {
      await tx.compensations.save([r]);
      if (audit) await tx.compensations.appendAudit(audit);
      if (journal.length > 0) await tx.journal.append(journal);
      for (const hook of hooks) await hook.write(tx, r);
    });
    this.options.onProgress?.(r.projectId, { orchestrationId: r.orchestrationId, tasks: [{ taskId: r.taskId, state: r.status, kind: 'compensation', compensationId: r.id }] });
  }

  private release(r: CompensationRecord): void {
    this.timers.clear(`exp|${r.id}`);
    this.timers.clear(`next|${r.id}`);
    this.sentTo.delete(r.id);
    this.byKey.delete(r.idempotencyKey);
    this.records.delete(r.id);
  }
}

/**
 * Where a compensation stands for an answer (answers/judge-answer.ts). `waiting` with a due time is
 * the backoff after a failed attempt; without one it waits for its service's socket, and the attempt
 * that was out when the socket (or the engine) went away may still answer.
 */
export function compensationPhase(r: Pick<CompensationRecord, 'status' | 'nextAttemptAt'>): WorkPhase {
  if (r.status === 'processing' || r.status === 'pending') return 'awaiting';
  if (r.status === 'waiting') return r.nextAttemptAt === null ? 'awaiting' : 'between_attempts';
  return 'ended';
}
