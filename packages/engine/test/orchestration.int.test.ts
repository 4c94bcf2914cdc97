import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { startService } from './helpers/sdk-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('orchestration execution (real engine, real SDK services)', () => {
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  const services: { shutdown(): void | Promise<void> }[] = [];

  beforeAll(async () => {
    engine = await startTestEngine({ taskBackoffMs: 20, taskBackoffCapMs: 50 });
    ({ api, apiKey } = await newProject(engine.url));
  });
  afterAll(async () => {
    for (const s of services) await s.shutdown();
    await engine.dispose();
  });

  async function service(name: string, input: Record<string, string>, output: Record<string, string>, handler: (t: any) => Promise<unknown>) {
    const svc = await startService({ orraUrl: engine.url, apiKey, name, input, output, handler });
    services.push(svc);
    return svc;
  }

  async function finished(id: string) {
    return waitFor(
      async () => {
        const res = await api.get(`/orchestrations/inspections/${id}`);
        return ['completed', 'failed', 'aborted'].includes(res.body.status) ? res.body : undefined;
      },
      { what: `orchestration ${id} to finish` },
    );
  }

  it('runs a 3-task linear plan and returns the last task’s output', async () => {
    const inc = await service('inc', { n: 'number' }, { n: 'number' }, async (t) => ({ n: t.input.n + 1 }));
    const res = await api.post('/orchestrations', {
      action: { content: 'count to four' },
      data: [{ field: 'start', value: 1 }],
      plan: {
        tasks: [
          { id: 'task1', service: inc.id, input: { n: '$task0.start' } },
          { id: 'task2', service: inc.id, input: { n: '$task1.n' } },
          { id: 'task3', service: inc.id, input: { n: '$task2.n' } },
        ],
      },
    });
    expect(res.status).toBe(202);
    const view = await finished(res.body.id);
    expect(view.status).toBe('completed');
    expect(view.results).toEqual([{ n: 4 }]);
    expect(view.tasks.map((t: any) => [t.id, t.status, t.input, t.output])).toEqual([
      ['task1', 'completed', { n: 1 }, { n: 2 }],
      ['task2', 'completed', { n: 2 }, { n: 3 }],
      ['task3', 'completed', { n: 3 }, { n: 4 }],
    ]);
    for (const t of view.tasks) {
      expect(Number.isInteger(t.duration)).toBe(true);
      expect(t.statusHistory.map((h: any) => h.status)).toEqual(['processing', 'completed']);
    }
    expect(Number.isInteger(view.duration)).toBe(true);
  });

  it('runs a 5-task diamond with the two middle tasks concurrently', async () => {
    const spans: Record<string, [number, number]> = {};
    const timed = (f: (t: any) => unknown) => async (t: any) => {
      const start = Date.now();
      await sleep(150);
      spans[t.id] = [start, Date.now()];
      return f(t);
    };
    const double = await service('double', { n: 'number' }, { n: 'number' }, timed((t) => ({ n: t.input.n * 2 })));
    const square = await service('square', { n: 'number' }, { n: 'number' }, timed((t) => ({ n: t.input.n * t.input.n })));
    const sum = await service('sum', { a: 'number', b: 'number' }, { total: 'number' }, async (t) => ({ total: t.input.a + t.input.b }));
    const res = await api.post('/orchestrations', {
      action: { content: 'diamond' },
      plan: {
        tasks: [
          { id: 'task0', input: { n: 3 } },
          { id: 'task1', service: double.id, input: { n: '$task0.n' } },
          { id: 'task2', service: double.id, input: { n: '$task1.n' } },
          { id: 'task3', service: square.id, input: { n: '$task1.n' } },
          { id: 'task4', service: sum.id, input: { a: '$task2.n', b: '$task3.n' } },
        ],
      },
    });
    const view = await finished(res.body.id);
    expect(view.status).toBe('completed');
    expect(view.results).toEqual([{ total: 12 + 36 }]);
    const [s2, s3] = [spans.task2!, spans.task3!];
    // Concurrent: each started before the other finished.
    expect(s2[0]).toBeLessThan(s3[1]);
    expect(s3[0]).toBeLessThan(s2[1]);
  });

  it('returns the outputs of every sink task, in task-number order', async () => {
    const echo = await service('echo', { v: 'string' }, { v: 'string' }, async (t) => ({ v: t.input.v }));
    const res = await api.post('/orchestrations', {
      action: { content: 'fan out' },
      plan: {
        tasks: [
          { id: 'task0', input: { a: 'A', b: 'B' } },
          { id: 'task2', service: echo.id, input: { v: '$task0.b' } },
          { id: 'task1', service: echo.id, input: { v: '$task0.a' } },
        ],
      },
    });
    expect((await finished(res.body.id)).results).toEqual([{ v: 'A' }, { v: 'B' }]);
  });

  it('retries a service that throws twice, and the inspect view shows the failed attempts', async () => {
    let calls = 0;
    const flaky = await service('flaky', { x: 'string' }, { ok: 'boolean' }, async () => {
      calls += 1;
      if (calls <= 2) throw new Error(`transient failure ${calls}`);
      return { ok: true };
    });
    const res = await api.post('/orchestrations', {
      action: { content: 'flaky' },
      plan: { tasks: [{ id: 'task1', service: flaky.id, input: { x: 'go' } }] },
    });
    const view = await finished(res.body.id);
    expect(view.status).toBe('completed');
    expect(calls).toBe(3);
    const history = view.tasks[0].statusHistory.map((h: any) => [h.status, h.error]);
    expect(history).toEqual([
      ['processing', undefined],
      ['failed', 'transient failure 1'],
      ['processing', undefined],
      ['failed', 'transient failure 2'],
      ['processing', undefined],
      ['completed', undefined],
    ]);
  });

  it('completes a task that succeeds on its fifth and last allowed attempt', async () => {
    // The engine allows 5 attempts by default: one fewer would fail this orchestration.
    let calls = 0;
    const lastChance = await service('last-chance', { x: 'string' }, { ok: 'boolean' }, async () => {
      calls += 1;
      if (calls < 5) throw new Error(`not yet (${calls})`);
      return { ok: true };
    });
    const res = await api.post('/orchestrations', {
      action: { content: 'last chance' },
      plan: { tasks: [{ id: 'task1', service: lastChance.id, input: { x: 'go' } }] },
    });
    const view = await finished(res.body.id);
    expect(calls).toBe(5);
    expect(view.status).toBe('completed');
    expect(view.tasks[0].statusHistory.filter((h: any) => h.status === 'failed')).toHaveLength(4);
  });

  it('fails after 5 attempts with an error naming the task and the service’s message', async () => {
    let calls = 0;
    const broken = await service('broken', { x: 'string' }, { ok: 'boolean' }, async () => {
      calls += 1;
      throw new Error('card declined');
    });
    const res = await api.post('/orchestrations', {
      action: { content: 'always fails' },
      plan: { tasks: [{ id: 'task0', input: { x: 'go' } }, { id: 'task1', service: broken.id, input: { x: '$task0.x' } }] },
    });
    const view = await finished(res.body.id);
    expect(view.status).toBe('failed');
    expect(calls).toBe(5);
    expect(view.error.producer).toBe('task1');
    expect(view.error.id).toMatch(/^task_fail_task1_/);
    expect(view.error.error).toContain('card declined');
    expect(view.error.error).toContain('5 attempts');
    const record = await api.get(`/orchestrations/${res.body.id}`);
    expect(record.body.error).toEqual(view.error);
  });

  it('round-trips a 5 MiB task output', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const blob = await service('blob', { size: 'number' }, { data: 'string' }, async () => ({ data: big }));
    const res = await api.post('/orchestrations', {
      action: { content: 'big output' },
      plan: { tasks: [{ id: 'task0', input: { size: 5 } }, { id: 'task1', service: blob.id, input: { size: '$task0.size' } }] },
    });
    const view = await finished(res.body.id);
    expect(view.status).toBe('completed');
    expect(view.results[0].data.length).toBe(big.length);
  });

  it('keeps two projects apart: neither sees the other’s services or orchestrations', async () => {
    const other = await newProject(engine.url, 'other-project');
    const mine = await service('mine', { v: 'string' }, { v: 'string' }, async (t) => ({ v: t.input.v }));
    const theirs = await startService({
      orraUrl: engine.url,
      apiKey: other.apiKey,
      name: 'theirs',
      input: { v: 'string' },
      output: { v: 'string' },
      handler: async (t) => ({ v: t.input.v }),
    });
    services.push(theirs);
    const usesForeign = await api.post('/orchestrations', {
      action: { content: 'x' },
      plan: { tasks: [{ id: 'task1', service: theirs.id, input: { v: 'a' } }] },
    });
    expect(usesForeign.status).toBe(400);
    expect(usesForeign.body.error.message).toContain('unknown service');
    const own = await api.post('/orchestrations', {
      action: { content: 'mine' },
      plan: { tasks: [{ id: 'task1', service: mine.id, input: { v: 'a' } }] },
    });
    await finished(own.body.id);
    expect((await other.api.get(`/orchestrations/inspections/${own.body.id}`)).status).toBe(404);
    expect(await other.api.get('/orchestrations').then((r) => r.body)).toEqual({});
  });
});
