import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RETURNED_FAILED_MESSAGE } from './revert-result.js';
import type { FakeEngine } from './test-support/fake-engine.js';
import { resultFor, ServiceHarness } from './test-support/service-harness.js';
import { waitFor } from './test-support/wait-for.js';

const h = new ServiceHarness();
let engine: FakeEngine;

beforeEach(async () => {
  await h.start();
  engine = h.engine;
});
afterEach(() => h.stop());

describe('exactly-once', () => {
  it('answers a re-sent completed task from the cache without running the handler again', async () => {
    const svc = await h.connected();
    let runs = 0;
    svc.start(async () => ({ run: ++runs }));
    engine.send(h.taskRequest('k-once'));
    await engine.waitForFrame(resultFor('k-once'), 'the first result');
    const resend = h.taskRequest('k-once');
    engine.send(resend);
    const second = await engine.waitForFrame(resultFor('k-once'), 'the cached result', 1);
    expect(runs).toBe(1);
    expect(second.payload).toMatchObject({
      executionId: resend.executionId,
      result: { task: { run: 1 } },
      error: null,
    });
  });

  it('answers a duplicate of a running task with task_status in_progress, then sends one result', async () => {
    const svc = await h.connected();
    let runs = 0;
    let release!: () => void;
    svc.start(async () => {
      runs += 1;
      await new Promise<void>((r) => (release = r));
      return { ok: true };
    });
    engine.send(h.taskRequest('k-slow'));
    await waitFor(() => runs === 1, 'the handler to start');
    const dup = h.taskRequest('k-slow');
    engine.send(dup);
    const status = await engine.waitForFrame((p) => p.type === 'task_status', 'the status');
    expect(status.payload).toEqual({
      type: 'task_status',
      taskId: 'task1',
      executionId: dup.executionId,
      serviceId: 's_fakeservice',
      idempotencyKey: 'k-slow',
      status: 'in_progress',
    });
    release();
    await engine.waitForFrame(resultFor('k-slow'), 'the result');
    expect(runs).toBe(1);
    expect(engine.payloads(resultFor('k-slow'))).toHaveLength(1);
  });

  it('runs a failed task again when it is re-sent (failures are not cached)', async () => {
    const svc = await h.connected();
    let runs = 0;
    svc.start(async () => {
      runs += 1;
      if (runs === 1) throw new Error('transient');
      return { ok: true };
    });
    engine.send(h.taskRequest('k-retry'));
    await engine.waitForFrame(resultFor('k-retry'), 'the failure');
    engine.send(h.taskRequest('k-retry'));
    const second = await engine.waitForFrame(resultFor('k-retry'), 'the success', 1);
    expect(second.payload).toMatchObject({ result: { task: { ok: true } }, error: null });
    expect(runs).toBe(2);
  });
});

describe('compensation', () => {
  async function revertible() {
    const svc = await h.connected({ revertible: true });
    const calls: unknown[][] = [];
    svc.onRevert(async (originalTask, taskResult: { mode: string }, context) => {
      calls.push([originalTask, taskResult, context]);
      switch (taskResult.mode) {
        case 'partial':
          return { status: 'partial', partial: { completed: ['a'], remaining: ['b'] } };
        case 'partial-bare':
          return { partial: { completed: [], remaining: ['c'] } };
        case 'partial-invalid':
          return { status: 'partial', partial: { completed: 'a' } as never };
        case 'failed':
          return { status: 'failed', error: 'refund rejected' };
        case 'failed-bare':
          return { status: 'failed' };
        case 'throw':
          throw new Error('gateway down');
        default:
          return undefined;
      }
    });
    svc.start(async () => ({}));
    return calls;
  }

  it('maps revert handler outcomes onto task_result', async () => {
    const calls = await revertible();
    const cases: [string, Record<string, unknown>][] = [
      ['completed', { result: { status: 'completed' }, error: null }],
      [
        'partial',
        { result: { status: 'partial', partial: { completed: ['a'], remaining: ['b'] } }, error: null },
      ],
      [
        'partial-bare',
        { result: { status: 'partial', partial: { completed: [], remaining: ['c'] } }, error: null },
      ],
      ['partial-invalid', { result: { status: 'completed' }, error: null }],
      ['failed', { result: { status: 'failed' }, error: 'refund rejected' }],
      ['failed-bare', { result: { status: 'failed' }, error: RETURNED_FAILED_MESSAGE }],
      ['throw', { result: null, error: 'gateway down' }],
    ];
    for (const [mode] of cases) engine.send(h.compensationRequest(`c-${mode}`, { mode }));
    for (const [mode, expected] of cases) {
      const frame = await engine.waitForFrame(resultFor(`c-${mode}`), `the ${mode} result`);
      expect(frame.payload, mode).toMatchObject({ type: 'task_result', taskId: 'task1', ...expected });
    }
    expect(calls[0]).toEqual([
      { id: 'task1' },
      { mode: 'completed' },
      {
        orchestrationId: 'o_1',
        reason: 'failed',
        payload: { error: 'boom' },
        timestamp: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('caches successful compensations by key but runs failed ones again', async () => {
    const calls = await revertible();
    engine.send(h.compensationRequest('c-done', { mode: 'completed' }));
    await engine.waitForFrame(resultFor('c-done'), 'the first result');
    engine.send(h.compensationRequest('c-done', { mode: 'completed' }));
    await engine.waitForFrame(resultFor('c-done'), 'the cached result', 1);
    expect(calls).toHaveLength(1);

    engine.send(h.compensationRequest('c-fail', { mode: 'failed' }));
    await engine.waitForFrame(resultFor('c-fail'), 'the first failure');
    engine.send(h.compensationRequest('c-fail', { mode: 'failed' }));
    await engine.waitForFrame(resultFor('c-fail'), 'the second failure', 1);
    expect(calls).toHaveLength(3);
  });
});
