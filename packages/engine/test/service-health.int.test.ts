import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { startService } from './helpers/sdk-services.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/** A promise the test resolves by hand, to hold a handler mid-task. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('services that disconnect (network cut between service and engine)', () => {
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  const cleanup: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    engine = await startTestEngine();
    ({ api, apiKey } = await newProject(engine.url));
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await engine.dispose();
  });

  async function behindProxy(name: string, handler: (t: any) => Promise<unknown>) {
    const proxy = await new TcpProxy(engine.port).start();
    const svc = await startService({ orraUrl: proxy.url, apiKey, name, input: { v: 'string' }, output: { v: 'string' }, handler });
    cleanup.push(() => proxy.close(), () => svc.shutdown());
    return { proxy, svc };
  }

  const taskStatuses = async (id: string) =>
    ((await api.get(`/orchestrations/inspections/${id}`)).body.tasks?.[0]?.statusHistory ?? []).map((h: any) => h.status);

  it('pauses a task while its service is away and completes it after the service reconnects', async () => {
    const started = gate();
    const release = gate();
    let runs = 0;
    const { proxy, svc } = await behindProxy('wobbly', async (t) => {
      runs += 1;
      started.open();
      await release.promise;
      return { v: `done ${t.input.v}` };
    });
    const res = await api.post('/orchestrations', {
      action: { content: 'survive a network cut' },
      plan: { tasks: [{ id: 'task1', service: svc.id, input: { v: 'x' } }] },
    });
    await started.promise;
    proxy.cut();
    await waitFor(async () => (await taskStatuses(res.body.id)).includes('paused'), { what: 'task paused' });
    release.open(); // the handler finishes while the service is cut off; the SDK keeps the result
    proxy.restore();
    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.status === 'completed' ? v : undefined;
      },
      { what: 'completion after reconnect', timeoutMs: 20_000 },
    );
    expect(view.results).toEqual([{ v: 'done x' }]);
    expect(runs).toBe(1);
    const history = view.tasks[0].statusHistory.map((h: any) => h.status);
    expect(history[0]).toBe('processing');
    expect(history).toContain('paused');
    expect(history.at(-1)).toBe('completed');
    expect(view.tasks[0].statusHistory.find((h: any) => h.status === 'paused').error).toContain('not healthy');
  });

  it('fails the task when the service stays away longer than the grace period', async () => {
    const started = gate();
    const { proxy, svc } = await behindProxy('vanishing', async () => {
      started.open();
      await new Promise(() => undefined); // never answers: the service is gone
    });
    const res = await api.post('/orchestrations', {
      action: { content: 'service never returns' },
      healthCheckGracePeriod: '500ms',
      plan: { tasks: [{ id: 'task1', service: svc.id, input: { v: 'x' } }] },
    });
    await started.promise;
    proxy.cut();
    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.status === 'failed' ? v : undefined;
      },
      { what: 'failure after the grace period' },
    );
    expect(view.error.producer).toBe('task1');
    expect(view.error.error).toContain(`service ${svc.id} remained unhealthy`);
    expect(view.error.error).toContain('500ms');
  });
});
