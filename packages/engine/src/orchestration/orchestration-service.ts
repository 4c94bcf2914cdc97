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
import type { JournalEntry, OrchestrationRecord, Store, TaskRecord } from '../storage/store.js';
import type { PlanningService } from '../planning/planning-service.js';
import type { UseCaseMatch } from '../planning/use-case-matcher.js';
import { taskRequest, type OrchestrationRunner } from './orchestration-runner.js';
import { resolveInput } from './references.js';
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
}

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

  /** Validates (or makes) the plan, stores the orchestration with its tasks in one transaction, and starts it. */
  /** `trace` is the request's span context: the orchestration's trace hangs under it. */
  async create(projectId: string, request: OrchestrationRequest, trace?: Context): Promise<CreatedOrchestration> {
    const { validated, planner, useCase } = await this.prepare(projectId, request, trace);
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
    await this.store.transaction(async (tx) => {
      await tx.orchestrations.insert(record);
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
    });
    const response = structuredClone(record);
    await this.runner.start(record, tasks);
    return { record: response, useCase };
  }

  /** The plan and who made it: the request's explicit plan, or the configured planner's. */
  private async prepare(
    projectId: string,
    request: OrchestrationRequest,
    trace: Context | undefined,
  ): Promise<{ validated: ValidatedPlan; planner: string; useCase: UseCaseOut | undefined }> {
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
    await this.store.transaction(async (tx) => {
      await tx.orchestrations.insert(record);
      await tx.journal.append(useCaseEntries(record, useCase));
    });
    throw new EngineError(
      ERROR_CODES.ACTION_NOT_ACTIONABLE,
      `preparation failed with status not_actionable: ${outcome.reason} (orchestration ${record.id})`,
      { details: { orchestrationId: record.id } },
    );
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
