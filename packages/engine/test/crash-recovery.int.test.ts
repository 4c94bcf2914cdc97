import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { startService } from './helpers/sdk-services.js';
import { waitFor } from './helpers/wait-for.js';

describe('crash recovery', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orra-crash-'));
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes an orchestration after SIGKILL and runs each task exactly once', async () => {
    const port = await freePort();
    let engine = await new EngineProcess(port, dataDir).start();
    cleanup.push(() => engine.kill());
    const { api, apiKey } = await newProject(engine.url);

    const runs: Record<string, number> = { task1: 0, task2: 0, task3: 0 };
    let task2Started!: () => void;
    const task2Running = new Promise<void>((r) => (task2Started = r));
    const step = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'slow-step',
      input: { n: 'number' },
      output: { n: 'number' },
      handler: async (t) => {
        runs[t.id] = (runs[t.id] ?? 0) + 1;
        if (t.id === 'task2') task2Started();
        await new Promise((r) => setTimeout(r, 300));
        return { n: t.input.n + 1 };
      },
    });
    cleanup.push(() => step.shutdown());

    const res = await api.post('/orchestrations', {
      action: { content: 'three steps through a crash' },
      plan: {
        tasks: [
          { id: 'task0', input: { n: 0 } },
          { id: 'task1', service: step.id, input: { n: '$task0.n' } },
          { id: 'task2', service: step.id, input: { n: '$task1.n' } },
          { id: 'task3', service: step.id, input: { n: '$task2.n' } },
        ],
      },
    });
    expect(res.status).toBe(202);
    await task2Running;
    await engine.kill(); // task2 is running in the service; its result has nowhere to go

    engine = await new EngineProcess(port, dataDir).start();
    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.status === 'completed' ? v : undefined;
      },
      { what: 'the orchestration to finish after restart', timeoutMs: 30_000 },
    );
    expect(view.results).toEqual([{ n: 3 }]);
    expect(runs).toEqual({ task1: 1, task2: 1, task3: 1 });
    const task2 = view.tasks.find((t: any) => t.id === 'task2');
    expect(task2.statusHistory.map((h: any) => h.status)).toContain('paused');
  });

  it('continues a compensation from its recorded attempt count after SIGKILL during backoff', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orra-crash-comp-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const env = { ORRA_TASK_MAX_ATTEMPTS: '1', ORRA_COMPENSATION_BACKOFF_MS: '1500' };
    const port = await freePort();
    let engine = await new EngineProcess(port, dir, env).start();
    cleanup.push(() => engine.kill());
    const { api, apiKey } = await newProject(engine.url);
    let revertCalls = 0;
    const payment = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'payment',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      revertible: true,
      handler: async (t) => ({ ref: `pay-${t.input.orderId}` }),
      onRevert: async () => {
        revertCalls += 1;
        if (revertCalls === 1) throw new Error('refund service busy');
      },
    });
    const delivery = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'delivery',
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async () => {
        throw new Error('no courier');
      },
    });
    cleanup.push(() => payment.shutdown(), () => delivery.shutdown());
    const res = await api.post('/orchestrations', {
      action: { content: 'pay then deliver' },
      data: [{ field: 'orderId', value: 'ORD7' }],
      plan: {
        tasks: [
          { id: 'task1', service: payment.id, input: { orderId: '$task0.orderId' } },
          { id: 'task2', service: delivery.id, input: { orderId: '$task0.orderId' } },
        ],
      },
    });
    const compensationOf = async () =>
      (await api.get(`/orchestrations/inspections/${res.body.id}`)).body.tasks?.[0]?.compensationHistory ?? [];
    await waitFor(async () => (await compensationOf()).some((h: any) => h.status === 'failed'), {
      what: 'the first compensation attempt to fail',
    });
    await engine.kill(); // mid-backoff: the second attempt is due in ~1.5 s

    engine = await new EngineProcess(port, dir, env).start();
    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.tasks?.[0]?.compensation?.status === 'completed' ? v : undefined;
      },
      { what: 'compensation to complete after restart', timeoutMs: 30_000 },
    );
    expect(revertCalls).toBe(2);
    expect(view.tasks[0].compensation.attempt).toBe(2);
    expect(view.tasks[0].compensationHistory.map((h: any) => [h.status, h.attempt])).toEqual([
      ['processing', 1],
      ['failed', 1],
      ['processing', 2],
      ['completed', 2],
    ]);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orra-term-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const engine = await new EngineProcess(await freePort(), dir).start();
    expect(await engine.stop()).toBe(0);
  });
});
