import { isDeepStrictEqual } from 'node:util';
import type { SdkPayload } from '@orra/protocol';
import { compensationContext, compensationFor, type CompensationLimits } from '../compensation/compensation-planner.js';
import { compensationPhase, type CompensationRunner } from '../compensation/compensation-runner.js';
import type { Logger } from '../logging/logger.js';
import { taskPhase } from '../orchestration/orchestration-runner.js';
import type { CompensationRecord, OrchestrationRecord, Repos, Store, TaskRecord } from '../storage/store.js';
import { isFailureAnswer, judgeAnswer, type WorkPhase } from './judge-answer.js';
import { lateAnswerEntry } from './late-answer-entry.js';
import { logRefusedAnswer } from './refused-answer.js';

/** The work an idempotency key names, as storage has it. */
export type StoredWork =
  | { of: 'task'; task: TaskRecord; orchestration: OrchestrationRecord; phase: WorkPhase }
  | { of: 'compensation'; record: CompensationRecord; phase: WorkPhase };

const IN_FLIGHT = new Set(['pending', 'processing']);

/** Where a late result nobody can undo is reported: an operator event written in the same transaction. */
export interface LateResultReports {
  write(tx: Repos, o: { projectId: string; orchestrationId: string; status: string }, task: { taskId: string; serviceId: string }, reason: string, at: number): Promise<unknown>;
  /** After the commit, with what `write` returned. */
  afterCommit(written: unknown): void;
}

/**
 * Answers that no runner of this process waits for: late ones (their work has ended) and refused ones
 * (unknown key, another service's work). Nothing a service says about its work is dropped: a late answer
 * is recorded in the orchestration's journal (`late_answer`, shown in `inspect`), and a late result of a
 * revertible service for an orchestration that failed or was aborted is compensated like any completed
 * task. The same rules as for work in flight apply (answers/judge-answer.ts).
 */
export class UnownedAnswers {
  constructor(
    private readonly store: Store,
    private readonly compensations: CompensationRunner,
    private readonly log: Logger,
    private readonly options: CompensationLimits & { now?: () => number; lateResults?: LateResultReports },
  ) {}

  /** Looks the key up in storage; the phase says whether the work still waits for an answer. */
  async find(idempotencyKey: string): Promise<StoredWork | undefined> {
    const task = await this.store.tasks.findByIdempotencyKey(idempotencyKey);
    if (task) {
      const orchestration = await this.store.orchestrations.getById(task.orchestrationId);
      if (orchestration) {
        const phase = IN_FLIGHT.has(orchestration.status) ? taskPhase(task) : 'ended';
        return { of: 'task', task, orchestration, phase };
      }
    }
    const record = await this.store.compensations.findByIdempotencyKey(idempotencyKey);
    if (record) return { of: 'compensation', record, phase: compensationPhase(record) };
    return undefined;
  }

  /**
   * Handles an answer no local runner took (`found`: the cluster has looked it up already). Answers for
   * work in flight on another process never come here: the cluster forwards those to their owner.
   */
  async handle(socketServiceId: string, payload: SdkPayload, found?: StoredWork): Promise<void> {
    if (payload.type === 'pong') return;
    const key = payload.idempotencyKey;
    if (!key) return logRefusedAnswer(this.log, socketServiceId, payload, 'the answer has no idempotency key');
    const work = found ?? (await this.find(key));
    const serviceId = work ? (work.of === 'task' ? work.task.serviceId : work.record.serviceId) : '';
    const verdict = judgeAnswer(work && { serviceId, phase: work.phase }, socketServiceId, payload);
    if (verdict.action === 'refuse') return logRefusedAnswer(this.log, socketServiceId, payload, verdict.reason);
    if (verdict.action === 'ignore') return;
    if (verdict.action === 'accept' || !work) {
      // Its work is in flight but no runner here has it (being resumed or taken over): not ACKed, so the
      // service sends it again, by when its runner is there.
      throw new Error('the work this answer is for is not running in this process yet');
    }
    if (work.of === 'compensation') return this.recordCompensationAnswer(work.record, socketServiceId, payload, verdict.reason);
    return this.recordTaskAnswer(work.task, work.orchestration, socketServiceId, payload, verdict.reason);
  }

  private async recordCompensationAnswer(
    r: CompensationRecord,
    serviceId: string,
    payload: SdkPayload,
    reason: string,
  ): Promise<void> {
    const now = this.now();
    const entry = lateAnswerEntry({ orchestrationId: r.orchestrationId, taskId: r.taskId, of: 'compensation' }, serviceId, payload, {
      reason,
      disposition: 'recorded',
      attempt: r.attempts,
      at: now,
    });
    await this.store.transaction((tx) => tx.journal.append([entry]));
    this.log.warn(
      { orchestrationId: r.orchestrationId, taskId: r.taskId, serviceId, compensationStatus: r.status, outcome: (entry.value as { outcome: string }).outcome },
      'late compensation answer recorded',
    );
  }

  private async recordTaskAnswer(
    task: TaskRecord,
    orchestration: OrchestrationRecord,
    serviceId: string,
    payload: SdkPayload,
    reason: string,
  ): Promise<void> {
    const now = this.now();
    const result = payload.type === 'task_result' && !isFailureAnswer(payload)
      ? ((payload.result ?? {}) as { task?: unknown; compensation?: { data: unknown; ttl: number } | null })
      : undefined;
    // The answer already accepted, sent again (its ACK was lost): nothing new was said.
    if (result && task.state === 'completed' && isDeepStrictEqual(result.task ?? null, task.output ?? null)) return;
    const executionId = payload.type === 'pong' ? undefined : payload.executionId;
    const fields = { orchestrationId: orchestration.id, taskId: task.taskId, serviceId, executionId };
    if (IN_FLIGHT.has(orchestration.status)) {
      // The task ended while its orchestration goes on (a second answer to a completed task). Its journal
      // belongs to the process running the orchestration: logging is all this one may do.
      this.log.warn(fields, 'late answer for a task of an orchestration in flight');
      return;
    }
    const isUndoable =
      result !== undefined &&
      result.compensation !== null &&
      typeof result.compensation === 'object' &&
      (orchestration.status === 'failed' || orchestration.status === 'aborted') &&
      task.state !== 'completed';
    const entry = lateAnswerEntry({ orchestrationId: orchestration.id, taskId: task.taskId, of: 'task' }, serviceId, payload, {
      reason,
      disposition: isUndoable ? 'compensating' : 'recorded',
      attempt: task.attempts,
      at: now,
    });
    // Done by a service the engine cannot revert, for an orchestration that failed or was aborted.
    const isUnrevertible = !isUndoable && result !== undefined && orchestration.status !== 'completed';
    let planned: CompensationRecord | undefined;
    let reported: unknown;
    await this.store.transaction(async (tx) => {
      planned = undefined;
      reported = undefined;
      if (isUndoable) {
        const existing = await tx.compensations.listByOrchestration(orchestration.id);
        if (!existing.some((c) => c.taskId === task.taskId)) {
          // Completed last, it is undone first among those not yet started (newest completion first).
          const position = existing.reduce((min, c) => Math.min(min, c.position), 0) - (existing.length > 0 ? 1 : 0);
          planned = compensationFor(
            orchestration,
            { ...task, compensation: result.compensation ?? null },
            { position, context: compensationContext(orchestration, now), completedAt: now, now, limits: this.options },
          );
          await tx.compensations.save([planned]);
        }
      }
      const journal = [planned ? entry : { ...entry, value: { ...(entry.value as object), disposition: 'recorded' } }];
      if (planned) {
        journal.push({
          orchestrationId: orchestration.id,
          type: 'compensation_stored',
          entryId: `comp_data_${task.taskId}`,
          taskId: task.taskId,
          producerId: serviceId,
          value: { data: planned.data, context: null, ttl: planned.ttlMs },
          attempt: task.attempts,
          at: now,
        });
      }
      await tx.journal.append(journal);
      if (isUnrevertible && this.options.lateResults) {
        const o = { projectId: orchestration.projectId, orchestrationId: orchestration.id, status: orchestration.status };
        reported = await this.options.lateResults.write(tx, o, { taskId: task.taskId, serviceId }, reason, now);
      }
    });
    if (reported !== undefined) this.options.lateResults?.afterCommit(reported);
    if (planned) {
      this.log.warn({ ...fields, compensationId: planned.id }, 'late result of an ended orchestration: compensating it');
      this.compensations.begin([planned]);
    } else if (isUnrevertible) {
      this.log.warn({ ...fields, status: orchestration.status }, 'late result of an ended orchestration recorded: undo it by hand if needed');
    } else {
      this.log.warn(fields, 'late answer recorded');
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
