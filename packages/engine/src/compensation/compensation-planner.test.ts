import { describe, expect, it } from 'vitest';
import { Step } from '../orchestration/step.js';
import type { OrchestrationRecord, TaskRecord } from '../storage/store.js';
import { planCompensations } from './compensation-planner.js';

// Two tasks completing in the same millisecond cannot be arranged through a running engine (its clock
// is real), so the tie-break of the undo order is tested here, on the planner itself.
function task(taskId: string, seq: number, completedAt: number): TaskRecord {
  return {
    orchestrationId: 'o_1',
    taskId,
    seq,
    serviceId: `s_${taskId}`,
    serviceName: `svc-${taskId}`,
    input: {},
    resolvedInput: { n: seq },
    state: 'completed',
    attempts: 1,
    consecutiveErrors: 0,
    idempotencyKey: null,
    executionId: null,
    output: {},
    error: null,
    pausedSince: null,
    nextAttemptAt: null,
    compensation: { data: { taskId }, ttl: 60_000 },
    completedAt,
  };
}

function failedStep(tasks: TaskRecord[]): Step {
  const record = {
    id: 'o_1',
    projectId: 'p_1',
    status: 'failed',
    error: { producer: 'task9' },
    abortReason: null,
  } as OrchestrationRecord;
  return new Step(
    {
      record,
      tasks: new Map(tasks.map((t) => [t.taskId, t])),
      dependencies: new Map(),
      consumed: new Set(),
      sentTo: new Map(),
      chain: Promise.resolve(),
      isFinal: false,
    },
    5_000,
  );
}

describe('planCompensations', () => {
  it('undoes tasks completed in the same millisecond later-in-plan first (task10 before task9)', () => {
    const planned = planCompensations(
      failedStep([task('task9', 9, 1_000), task('task10', 10, 1_000), task('task2', 2, 1_000)]),
      { maxAttempts: 3 },
    );
    expect(planned.map((c) => [c.taskId, c.position])).toEqual([
      ['task10', 0],
      ['task9', 1],
      ['task2', 2],
    ]);
  });

  it('orders by completion time before plan order', () => {
    const planned = planCompensations(
      failedStep([task('task1', 1, 3_000), task('task2', 2, 1_000), task('task3', 3, 2_000)]),
      { maxAttempts: 3 },
    );
    expect(planned.map((c) => c.taskId)).toEqual(['task1', 'task3', 'task2']);
  });
});
