import {
  describeFrameOverflow,
  ERROR_CODES,
  frameOverflowBytes,
  newExecutionId,
  newOrchestrationId,
  type DataField,
  type UseCaseOut,
} from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { JournalEntry, OrchestrationRecord, Store, SubmissionKeyRecord, TaskRecord } from '../storage/store.js';
import type { PlanningService } from '../planning/planning-service.js';
import type { UseCaseMatch } from '../planning/use-case-matcher.js';
import { taskRequest, type OrchestrationRunner } from './orchestration-runner.js';
import { resolveInput } from './references.js';
import { isLive, keyRecord, refuseReuse, takenSubmissionKey, type Submission } from './submission-keys.js';
import { validatePlan, type ValidatedPlan } from './plan-validator.js';
import type { Context } from '@opentelemetry/api';
import { Tracing } from '../tracing/tracing.js';

/** A request to orchestrate an action, after the HTTP layer decoded it. */
export interface OrchestrationRequest {
  action: string;
  data: DataField[] | null;
  timeoutMs: number | undefined;
  timeoutText: string | undefined;
  healthCheckGracePeriodMs: number | undefined;
  healthCheckGracePeriodText: string | undefined;
  plan: unknown;
}

/** A new orchestration, and the grounding use case its action was planned as (if one matched). */
export interface CreatedOrchestration {
  record: OrchestrationRecord;
  useCase: UseCaseOut | undefined;
  /** True when the answer is the one of an earlier submission with the same `Idempotency-Key`. */
  isReplay: boolean;
}

/**
 * The status codes of the first answer, stored with the key: 202 for a stored orchestration, 400 for
 * one stored as `not_actionable` (answered with an error, replayed as the same error).
 */
const ANSWERED_SUBMITTED = 202;
const ANSWERED_NOT_ACTIONABLE = 400;

export interface OrchestrationDefaults {
  taskTimeoutMs: number;
  healthCheckGracePeriodMs: number;
}

/** Creating and reading orchestrations. Execution belongs to the runner. */
export class OrchestrationService {
  constructor(
    private readonly store: Store,
    private readonly runner: OrchestrationRunner,
    private readonly defaults: OrchestrationDefaults,
    private readonly now: () => number = Date.now,
    private readonly planning?: PlanningService,
    private readonly tracing: Tracing = Tracing.off(),
  ) {}

  /**
   * Validates (or makes) the plan, stores the orchestration with its tasks in one transaction, and starts it.
   * With a `submission` (an `Idempotency-Key`), a key seen in the last 24 h answers from the submission
   * that stored it, and a new key is stored in the orchestration's transaction. `trace` is the request's span
   * context: the orchestration's trace hangs under it.
   */
  async create(
    projectId: string,
    request: OrchestrationRequest,
    submission?: Submission,
    trace?: Context,
  ): Promise<CreatedOrchestration> {
    if (submission) {
      const existing = await this.store.submissionKeys.get(projectId, submission.key);
      if (existing && isLive(existing, this.now())) return this.replay(projectId, existing, submission);
    }
    const prepared = await this.prepare(projectId, request, submission, trace);
    if ('replayed' in prepared) return prepared.replayed;
    const { validated, planner, useCase } = prepared;
    refuseUnsendableTasks(validated);
    const now = this.now();
    const record = this.newRecord(projectId, request, now, {
      plan: validated.plan,
      taskZero: validated.taskZero,
      status: 'pending',
      error: null,
      planner,
    });
    const tasks: TaskRecord[] = validated.plan.tasks.map((t) => ({
      orchestrationId: record.id,
      taskId: t.id,
      seq: Number(t.id.slice(4)),
      serviceId: t.service,
      serviceName: t.service_name,
      input: t.input,
      resolvedInput: null,
      state: 'waiting',
      attempts: 0,
      consecutiveErrors: 0,
      idempotencyKey: null,
      executionId: null,
      output: null,
      error: null,
      pausedSince: null,
      nextAttemptAt: null,
      compensation: null,
      completedAt: null,
    }));
    record.traceContext = this.tracing.startOrchestration(record, trace);
    const response = structuredClone(record);
    // The first step (its first tasks marked sent) commits with the orchestration: one fsync before the
    // first task goes out instead of two. The orchestration row is stored as submitted (`pending`, as the
    // response shows it) and the step then updates it, as the two transactions did.
    const start = this.runner.startWithin(record, tasks);
    let first: SubmissionKeyRecord | undefined;
    try {
      first = await this.store.transaction(async (tx) => {
        const taken = submission && (await takenSubmissionKey(tx, projectId, submission, now));
        if (taken) return taken;
        await tx.orchestrations.insert(response);
        if (submission) await tx.submissionKeys.insert(keyRecord(projectId, submission, record.id, ANSWERED_SUBMITTED, now));
        await tx.tasks.save(tasks);
        await tx.journal.append([
          {
            orchestrationId: record.id,
            type: 'task_output',
            entryId: 'task0',
            taskId: 'task0',
            producerId: 'control-panel',
            value: record.taskZero,
            attempt: 0,
            at: now,
          },
          ...useCaseEntries(record, useCase),
        ]);
        await start.write(tx);
        return undefined;
      });
    } catch (err) {
      start.abandon();
      throw err;
    }
    // A concurrent submission with the same key committed first: nothing of ours was written.
    if (first && submission) {
      start.abandon();
      return this.replay(projectId, first, submission);
    }
    start.committed();
    return { record: response, useCase, isReplay: false };
  }

  /** The answer to a submission whose key was stored before: its orchestration as it is now, or its error. */
  private async replay(projectId: string, key: SubmissionKeyRecord, submission: Submission): Promise<CreatedOrchestration> {
    refuseReuse(key, submission);
    const record = await this.get(projectId, key.orchestrationId);
    if (key.statusCode === ANSWERED_NOT_ACTIONABLE) throw notActionable(record);
    // Only a planned action has a use case; an explicit plan's journal need not be read.
    const journal = record.planner === 'explicit' ? [] : await this.store.journal.listByOrchestration(record.id);
    const useCase = journal.find((e) => e.type === 'use_case_match')?.value as UseCaseOut | undefined;
    return { record, useCase, isReplay: true };
  }

  /** The plan and who made it: the request's explicit plan, or the configured planner's. */
  private async prepare(
    projectId: string,
    request: OrchestrationRequest,
    submission: Submission | undefined,
    trace: Context | undefined,
  ): Promise<{ validated: ValidatedPlan; planner: string; useCase: UseCaseOut | undefined } | { replayed: CreatedOrchestration }> {
    if (request.plan !== undefined && request.plan !== null) {
      const services = new Map((await this.store.services.listByProject(projectId)).map((s) => [s.id, s]));
      return { validated: validatePlan(request.plan, request.data, services), planner: 'explicit', useCase: undefined };
    }
    if (!this.planning) {
      throw new EngineError(
        ERROR_CODES.ACTION_CANNOT_EXECUTE,
        'no plan given and no planner is configured on this engine: send an explicit "plan" with the request',
        { param: 'plan' },
      );
    }
    const planning = this.planning;
    const outcome = await this.tracing.plan(projectId, trace, (scope) => planning.plan(projectId, request.action, request.data, scope));
    const useCase = outcome.match && useCaseOf(outcome.match);
    if (outcome.kind === 'planned') return { validated: outcome.plan, planner: outcome.planner, useCase };
    // orra keeps not-actionable orchestrations (its list view has a `notActionable` group), so an operator
    // sees what was asked and why it could not be planned. Nothing runs and no webhook is sent.
    const record = this.newRecord(projectId, request, this.now(), {
      plan: null,
      taskZero: {},
      status: 'not_actionable',
      error: outcome.reason,
      planner: outcome.planner,
    });
    const first = await this.store.transaction(async (tx) => {
      const taken = submission && (await takenSubmissionKey(tx, projectId, submission, record.createdAt));
      if (taken) return taken;
      await tx.orchestrations.insert(record);
      if (submission) {
        await tx.submissionKeys.insert(keyRecord(projectId, submission, record.id, ANSWERED_NOT_ACTIONABLE, record.createdAt));
      }
      await tx.journal.append(useCaseEntries(record, useCase));
      return undefined;
    });
    // A concurrent submission with the same key committed first (planned, perhaps, by an LLM that
    // answered differently): its answer is the one to give.
    if (first && submission) return { replayed: await this.replay(projectId, first, submission) };
    throw notActionable(record);
  }

  private newRecord(
    projectId: string,
    request: OrchestrationRequest,
    now: number,
    outcome: Pick<OrchestrationRecord, 'plan' | 'taskZero' | 'status' | 'error' | 'planner'>,
  ): OrchestrationRecord {
    return {
      id: newOrchestrationId(),
      projectId,
      action: request.action,
      data: request.data,
      ...outcome,
      results: null,
      abortReason: null,
      timeoutMs: request.timeoutMs ?? this.defaults.taskTimeoutMs,
      healthCheckGracePeriodMs: request.healthCheckGracePeriodMs ?? this.defaults.healthCheckGracePeriodMs,
      timeoutText: request.timeoutText ?? null,
      healthCheckGracePeriodText: request.healthCheckGracePeriodText ?? null,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** The stored record, scoped to the project; unknown or foreign ids are both "not found". */
  async get(projectId: string, id: string): Promise<OrchestrationRecord> {
    const record = await this.store.orchestrations.get(projectId, id);
    if (!record) throw new EngineError(ERROR_CODES.UNKNOWN_ORCHESTRATION, `unknown orchestration: ${id}`, { param: 'id' });
    return record;
  }
}

const notActionable = (record: OrchestrationRecord) =>
  new EngineError(
    ERROR_CODES.ACTION_NOT_ACTIONABLE,
    `preparation failed with status not_actionable: ${String(record.error)} (orchestration ${record.id})`,
    { details: { orchestrationId: record.id } },
  );

const useCaseOf = (m: UseCaseMatch): UseCaseOut => ({ grounding: m.spec.name, action: m.useCase.action, score: m.score });

/**
 * The matched use case is kept in the journal (our entry type `use_case_match`), not in a column of the
 * orchestration: it is written once, with the orchestration, and read only by the inspection.
 */
function useCaseEntries(record: OrchestrationRecord, useCase: UseCaseOut | undefined): JournalEntry[] {
  if (!useCase) return [];
  return [
    {
      orchestrationId: record.id,
      type: 'use_case_match',
      entryId: 'use_case',
      taskId: null,
      producerId: 'planner',
      value: useCase,
      attempt: 0,
      at: record.createdAt,
    },
  ];
}

/**
 * Refuses, before anything is stored, a plan with a task whose request could never be sent: its input
 * from the request's data alone is over the WebSocket message limit. (Inputs wired from other tasks'
 * outputs are measured again when the task is sent; see OrchestrationRunner.dispatch.)
 */
function refuseUnsendableTasks(validated: ValidatedPlan): void {
  const data = new Map([['task0', validated.taskZero]]);
  for (const task of validated.plan.tasks) {
    // References to other tasks find nothing yet and are left out: the smallest the input can be.
    const input = resolveInput(task.input, data);
    const message = taskRequest({ taskId: task.id, serviceId: task.service }, input, newExecutionId(), '0'.repeat(64));
    const overflow = frameOverflowBytes(message);
    if (overflow === undefined) continue;
    throw new EngineError(
      ERROR_CODES.PAYLOAD_TOO_LARGE,
      `${task.id} (service ${task.service_name}) cannot be sent: its input from "data" makes a request of ` +
        `${describeFrameOverflow(overflow)}; pass large values by reference (a URL or a storage key) instead`,
      { param: 'data' },
    );
  }
}
