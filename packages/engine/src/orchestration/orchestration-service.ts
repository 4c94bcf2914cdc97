import { ERROR_CODES, newOrchestrationId, type DataField } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { OrchestrationRecord, Store, TaskRecord } from '../storage/store.js';
import type { OrchestrationRunner } from './orchestration-runner.js';
import { validatePlan } from './plan-validator.js';

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
  ) {}

  /** Validates the plan, stores the orchestration with its tasks in one transaction, and starts it. */
  async create(projectId: string, request: OrchestrationRequest): Promise<OrchestrationRecord> {
    if (request.plan === undefined || request.plan === null) {
      throw new EngineError(
        ERROR_CODES.ACTION_CANNOT_EXECUTE,
        'no plan given and no planner is configured on this engine: send an explicit "plan" with the request',
        { param: 'plan' },
      );
    }
    const services = new Map((await this.store.services.listByProject(projectId)).map((s) => [s.id, s]));
    const validated = validatePlan(request.plan, request.data, services);
    const now = this.now();
    const record: OrchestrationRecord = {
      id: newOrchestrationId(),
      projectId,
      action: request.action,
      data: request.data,
      plan: validated.plan,
      taskZero: validated.taskZero,
      status: 'pending',
      error: null,
      results: null,
      abortReason: null,
      timeoutMs: request.timeoutMs ?? this.defaults.taskTimeoutMs,
      healthCheckGracePeriodMs: request.healthCheckGracePeriodMs ?? this.defaults.healthCheckGracePeriodMs,
      timeoutText: request.timeoutText ?? null,
      healthCheckGracePeriodText: request.healthCheckGracePeriodText ?? null,
      planner: 'explicit',
      createdAt: now,
      updatedAt: now,
    };
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
      ]);
    });
    const response = structuredClone(record);
    await this.runner.start(record, tasks);
    return response;
  }

  /** The stored record, scoped to the project; unknown or foreign ids are both "not found". */
  async get(projectId: string, id: string): Promise<OrchestrationRecord> {
    const record = await this.store.orchestrations.get(projectId, id);
    if (!record) throw new EngineError(ERROR_CODES.UNKNOWN_ORCHESTRATION, `unknown orchestration: ${id}`, { param: 'id' });
    return record;
  }
}
