import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startService } from './helpers/sdk-services.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

describe('compensation and the failed-compensation queue', () => {
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  const cleanup: (() => unknown)[] = [];

  beforeAll(async () => {
    engine = await startTestEngine({
      taskMaxAttempts: 1,
      compensationMaxAttempts: 3,
      compensationBackoffMs: 10,
      compensationBackoffCapMs: 20,
    });
    ({ api, apiKey } = await newProject(engine.url));
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await engine.dispose();
  });

  type Revert = (originalTask: any, taskResult: any, context: any) => Promise<unknown>;
  async function revertible(name: string, onRevert: Revert, orraUrl = engine.url, revertTTL?: number) {
    const svc = await startService({
      orraUrl,
      apiKey,
      name,
      input: { orderId: 'string' },
      output: { ref: 'string' },
      revertible: true,
      ...(revertTTL ? { revertTTL } : {}),
      handler: async (t) => ({ ref: `${name}-${t.input.orderId}` }),
      onRevert,
    });
    cleanup.push(() => svc.shutdown());
    return svc;
  }
  async function failing(name = 'delivery') {
    const svc = await startService({
      orraUrl: engine.url,
      apiKey,
      name,
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async () => {
        throw new Error('no courier available');
      },
    });
    cleanup.push(() => svc.shutdown());
    return svc;
  }
  const chain = (ids: string[]) => ({
    action: { content: 'place order' },
    data: [{ field: 'orderId', value: 'ORD1' }],
    // Each task reads the previous one's output, so they run (and complete) in plan order.
    plan: {
      tasks: ids.map((service, i) => ({
        id: `task${i + 1}`,
        service,
        input: { orderId: i === 0 ? '$task0.orderId' : `$task${i}.ref` },
      })),
    },
  });
  async function settled(id: string, isDone: (view: any) => boolean) {
    return waitFor(
      async () => {
        const view = (await api.get(`/orchestrations/inspections/${id}`)).body;
        return isDone(view) ? view : undefined;
      },
      { what: `orchestration ${id} to settle`, timeoutMs: 20_000 },
    );
  }
  const allCompensated = (v: any) =>
    v.status !== 'processing' &&
    v.tasks
      .filter((t: any) => t.isRevertible && t.status === 'completed')
      .every((t: any) => ['completed', 'partial', 'failed', 'expired'].includes(t.compensation?.status));

  it('undoes payment before inventory, giving each handler its task, result and context', async () => {
    const calls: { name: string; original: any; result: any; context: any }[] = [];
    const record =
      (name: string): Revert =>
      async (original, result, context) => {
        calls.push({ name, original, result, context });
      };
    const inventory = await revertible('inventory', record('inventory'));
    const payment = await revertible('payment', record('payment'));
    const delivery = await failing();
    const res = await api.post('/orchestrations', chain([inventory.id, payment.id, delivery.id]));
    const view = await settled(res.body.id, allCompensated);
    expect(view.status).toBe('failed');
    expect(calls.map((c) => c.name)).toEqual(['payment', 'inventory']);
    expect(calls[0]!.original).toMatchObject({
      id: 'task2',
      input: { orderId: 'inventory-ORD1' },
      type: 'task_request',
    });
    expect(calls[0]!.result).toEqual({ ref: 'payment-inventory-ORD1' });
    expect(calls[1]!.original).toMatchObject({ id: 'task1', input: { orderId: 'ORD1' } });
    expect(calls[0]!.context).toMatchObject({ orchestrationId: res.body.id, reason: 'failed' });
    expect(calls[0]!.context.payload.producer).toBe('task3');
    expect(view.tasks.slice(0, 2).map((t: any) => t.compensation.status)).toEqual(['completed', 'completed']);
    expect(view.tasks[1].compensationHistory.map((h: any) => h.status)).toEqual(['processing', 'completed']);
    const list = (await api.get('/orchestrations')).body.failed.find((o: any) => o.id === res.body.id);
    expect(list.compensation).toEqual({ active: false, total: 2, completed: 2, failed: 0 });
  });

  it('undoes more than ten tasks in reverse completion order (task10 before task9)', async () => {
    const order: string[] = [];
    const step = await revertible('step', async (original) => {
      order.push(original.id);
    });
    const delivery = await failing('delivery-eleven');
    const tasks = Array.from({ length: 11 }, (_, i) => ({
      id: `task${i + 1}`,
      service: step.id,
      input: { orderId: i === 0 ? '$task0.orderId' : `$task${i}.ref` },
    }));
    tasks.push({ id: 'task12', service: delivery.id, input: { orderId: '$task11.ref' } });
    const res = await api.post('/orchestrations', {
      action: { content: 'long chain' },
      data: [{ field: 'orderId', value: 'O' }],
      plan: { tasks },
    });
    await settled(res.body.id, allCompensated);
    expect(order).toEqual(Array.from({ length: 11 }, (_, i) => `task${11 - i}`));
  });

  it('undoes nothing when an orchestration completes, although its revertible tasks returned compensation data', async () => {
    let reverts = 0;
    const reserve = await revertible('reserve-done', async () => {
      reverts += 1;
    });
    const confirm = await revertible('confirm-done', async () => {
      reverts += 1;
    });
    const res = await api.post('/orchestrations', chain([reserve.id, confirm.id]));
    const view = await settled(res.body.id, (v) => v.status === 'completed');
    // The compensation records would be written with the completion: none exists, none runs.
    expect(view.tasks.map((t: any) => t.compensation ?? null)).toEqual([null, null]);
    expect(
      (await api.get('/orchestrations')).body.completed.find((o: any) => o.id === res.body.id).compensation,
    ).toBeUndefined();
    expect(reverts).toBe(0);
  });

  it('undoes only the completed tasks that returned compensation data, not a completed non-revertible one', async () => {
    const undone: string[] = [];
    const lookup = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'lookup',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      handler: async (t) => ({ ref: `lookup-${t.input.orderId}` }),
    });
    cleanup.push(() => lookup.shutdown());
    const hold = await revertible('hold-stock', async (original) => {
      undone.push(original.id);
    });
    const res = await api.post(
      '/orchestrations',
      chain([lookup.id, hold.id, (await failing('delivery-mixed')).id]),
    );
    const view = await settled(res.body.id, allCompensated);
    expect(view.status).toBe('failed');
    expect(undone).toEqual(['task2']);
    expect(view.tasks[0].compensation ?? null).toBeNull();
    expect(view.tasks[1].compensation.status).toBe('completed');
    const list = (await api.get('/orchestrations')).body.failed.find((o: any) => o.id === res.body.id);
    expect(list.compensation).toEqual({ active: false, total: 1, completed: 1, failed: 0 });
  });

  it('undoes parallel tasks in reverse completion order, not reverse plan order', async () => {
    const undone: string[] = [];
    let releaseSlow: (() => void) | undefined;
    const slow = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'slow-hold',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      revertible: true,
      handler: async (t) => {
        await new Promise<void>((r) => (releaseSlow = r));
        return { ref: `slow-${t.input.orderId}` };
      },
      onRevert: async (original) => void undone.push(original.id),
    });
    cleanup.push(
      () => slow.shutdown(),
      () => releaseSlow?.(),
    );
    const fast = await revertible('fast-hold', async (original) => void undone.push(original.id));
    const delivery = await failing('delivery-parallel');
    // task1 (slow) and task2 (fast) both read task0 and run in parallel; task3 waits for task1. task2
    // completes first, so it was done first and is undone last, although it comes later in the plan.
    const res = await api.post('/orchestrations', {
      action: { content: 'parallel holds' },
      data: [{ field: 'orderId', value: 'ORD1' }],
      plan: {
        tasks: [
          { id: 'task1', service: slow.id, input: { orderId: '$task0.orderId' } },
          { id: 'task2', service: fast.id, input: { orderId: '$task0.orderId' } },
          { id: 'task3', service: delivery.id, input: { orderId: '$task1.ref' } },
        ],
      },
    });
    expect(res.status).toBe(202);
    await settled(
      res.body.id,
      (v) => v.tasks.find((t: any) => t.id === 'task2')?.status === 'completed' && releaseSlow !== undefined,
    );
    releaseSlow!();
    await settled(res.body.id, allCompensated);
    expect(undone).toEqual(['task1', 'task2']);
  });

  it('queues a compensation that always throws as pending; resolve makes it resolved once', async () => {
    let attempts = 0;
    const refunds = await revertible('refunds', async () => {
      attempts += 1;
      throw new Error(`refund API down (${attempts})`);
    });
    const res = await api.post('/orchestrations', chain([refunds.id, (await failing('delivery-two')).id]));
    await settled(res.body.id, allCompensated);
    const pending = (await api.get(`/compensation-failures?resolution=pending&orchestration=${res.body.id}`))
      .body;
    expect(pending).toHaveLength(1);
    const failure = pending[0];
    expect(failure).toMatchObject({
      orchestrationId: res.body.id,
      taskId: 'task1',
      serviceId: refunds.id,
      serviceName: 'refunds',
      status: 'failed',
      resolutionState: 'pending',
      attemptsMade: 3,
      maxAttempts: 3,
      resolvedAt: null,
    });
    expect(failure.id).toMatch(/^c_/);
    expect(failure.failure).toContain('refund API down (3)');
    expect(failure.compensationData.context.reason).toBe('failed');
    expect(attempts).toBe(3);

    const noReason = await api.post(`/compensation-failures/${failure.id}/resolve`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error).toMatchObject({
      code: 'Orra:ValidationFailed',
      param: 'reason',
      message: 'reason: a non-empty reason is required',
    });
    // docs/compensation.md promises a non-empty reason: an empty or blank one is refused by both
    // actions and changes nothing (a check weakened to "is a string" passed every other test).
    for (const action of ['resolve', 'ignore']) {
      for (const reason of ['', '   ', '\t\n']) {
        const blank = await api.post(`/compensation-failures/${failure.id}/${action}`, { reason });
        expect(blank.status, `${action} with ${JSON.stringify(reason)}`).toBe(400);
        expect(blank.body.error).toMatchObject({ param: 'reason', message: 'reason: a non-empty reason is required' });
      }
    }
    const untouched = (await api.get(`/compensation-failures/${failure.id}`)).body;
    expect(untouched).toMatchObject({ resolutionState: 'pending', resolvedAt: null });
    expect(untouched.resolution ?? null).toBeNull();
    expect(untouched.audit).toEqual([]);
    const resolved = await api.post(`/compensation-failures/${failure.id}/resolve`, {
      reason: 'Manually refunded customer',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      resolutionState: 'resolved',
      resolution: 'Manually refunded customer',
    });
    expect(Date.parse(resolved.body.resolvedAt)).toBeGreaterThan(0);
    const again = await api.post(`/compensation-failures/${failure.id}/resolve`, { reason: 'twice' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(
      `cannot resolve compensation failure ${failure.id}: it is already resolved`,
    );
    const ignored = await api.post(`/compensation-failures/${failure.id}/ignore`, { reason: 'x' });
    expect(ignored.status).toBe(409);
    expect(ignored.body.error.message).toBe(
      `cannot ignore compensation failure ${failure.id}: it is already resolved`,
    );
    const inspected = (await api.get(`/compensation-failures/${failure.id}`)).body;
    expect(inspected.audit).toEqual([
      expect.objectContaining({
        action: 'resolve',
        reason: 'Manually refunded customer',
        previousState: 'pending',
        newState: 'resolved',
      }),
    ]);
    expect(inspected.audit[0].apiKeyId).toMatch(/^[0-9a-f]{12}$/);
    const everything = (await api.get('/compensation-failures')).body;
    expect(everything.some((f: any) => f.id === failure.id && f.resolutionState === 'resolved')).toBe(true);
  });

  it('completes a compensation that succeeds on its last allowed attempt, queueing nothing', async () => {
    // With three attempts allowed, failing twice must still end well: a runner that allowed one
    // attempt fewer would queue this for an operator although the refund went through.
    let attempts = 0;
    const wallet = await revertible('wallet', async () => {
      attempts += 1;
      if (attempts < 3) throw new Error(`wallet busy (${attempts})`);
      return undefined;
    });
    const res = await api.post('/orchestrations', chain([wallet.id, (await failing('delivery-last')).id]));
    const view = await settled(res.body.id, allCompensated);
    expect(attempts).toBe(3);
    expect(view.tasks[0].compensation).toMatchObject({ status: 'completed' });
    // An empty list is the body null, as orra's (a nil Go slice).
    expect((await api.get(`/compensation-failures?orchestration=${res.body.id}`)).body).toBeNull();
  });

  it('retry re-runs a failed compensation and resolves it when it succeeds', async () => {
    let isFixed = false;
    const ledger = await revertible('ledger', async () => {
      if (!isFixed) return { status: 'failed', error: 'ledger locked' };
      return undefined;
    });
    const res = await api.post('/orchestrations', chain([ledger.id, (await failing('delivery-three')).id]));
    await settled(res.body.id, allCompensated);
    const [failure] = (await api.get(`/compensation-failures?orchestration=${res.body.id}`)).body;
    expect(failure.failure).toContain('ledger locked');
    const stillFailing = await api.post(`/compensation-failures/${failure.id}/retry`);
    expect(stillFailing.status).toBe(200);
    // One attempt beyond the three automatic ones: counted, but the automatic budget stays as it was.
    expect(stillFailing.body).toMatchObject({
      resolutionState: 'pending',
      attemptsMade: 4,
      maxAttempts: 3,
      failure: 'manual retry (attempt 4) failed: ledger locked',
    });
    isFixed = true;
    const retried = await api.post(`/compensation-failures/${failure.id}/retry`);
    expect(retried.body).toMatchObject({ resolutionState: 'resolved', attemptsMade: 5, maxAttempts: 3 });
    expect(retried.body.resolution).toContain('retried successfully');
    expect((await api.post(`/compensation-failures/${failure.id}/retry`)).status).toBe(409);
    const audit = (await api.get(`/compensation-failures/${failure.id}`)).body.audit.map(
      (a: any) => a.action,
    );
    expect(audit).toEqual(['retry_failed', 'retry_succeeded']);
  });

  it('refuses a retry while one is out or waits for its service, and one without a live connection (409)', async () => {
    const proxy = await new TcpProxy(engine.port).start();
    cleanup.push(() => proxy.close());
    let isHolding = false;
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    let heldCalls = 0;
    const vault = await revertible(
      'vault',
      async () => {
        if (!isHolding) throw new Error('vault sealed');
        heldCalls += 1;
        await gate;
      },
      proxy.url,
    );
    const res = await api.post(
      '/orchestrations',
      chain([vault.id, vault.id, (await failing('delivery-vault')).id]),
    );
    await settled(res.body.id, allCompensated);
    const failures = (await api.get(`/compensation-failures?orchestration=${res.body.id}`)).body;
    const a = failures.find((f: any) => f.taskId === 'task1');
    const b = failures.find((f: any) => f.taskId === 'task2');
    expect([a.resolutionState, b.resolutionState]).toEqual(['pending', 'pending']);

    isHolding = true;
    const outstanding = api.post(`/compensation-failures/${a.id}/retry`);
    await waitFor(() => heldCalls > 0, { what: 'the retried compensation to reach the service' });
    const busy = await api.post(`/compensation-failures/${a.id}/retry`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toBe(`compensation ${a.id} is already being retried`);

    // The service goes away: the retry waits for it (stored as waiting), and is still the one retry.
    proxy.cut();
    await waitFor(
      async () => (await api.get(`/services/${vault.id}`)).body.connection.state !== 'connected',
      {
        what: 'the engine to see the service gone',
      },
    );
    await settled(res.body.id, (v) => v.tasks[0].compensation.status === 'pending');
    const waiting = await api.post(`/compensation-failures/${a.id}/retry`);
    expect(waiting.status).toBe(409);
    expect(waiting.body.error.message).toBe(`compensation ${a.id} is already being retried`);
    const offline = await api.post(`/compensation-failures/${b.id}/retry`);
    expect(offline.status).toBe(409);
    expect(offline.body.error.message).toBe(
      `service vault (${vault.id}) has no live connection; retry once it is connected`,
    );
    expect((await api.get(`/compensation-failures/${b.id}`)).body).toMatchObject({
      resolutionState: 'pending',
      attemptsMade: 3,
    });

    // Back again: the waiting retry goes out and succeeds, once.
    proxy.restore();
    release!();
    const done = await outstanding;
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ resolutionState: 'resolved' });
    const after = await api.post(`/compensation-failures/${a.id}/retry`);
    expect(after.status).toBe(409);
    expect(after.body.error.message).toBe(
      `cannot retry compensation failure ${a.id}: it is already resolved`,
    );
  });

  it('answers 404 for a compensation that did not fail (read, resolve, ignore, retry)', async () => {
    const till = await revertible('till', async () => undefined);
    const res = await api.post('/orchestrations', chain([till.id, (await failing('delivery-till')).id]));
    await settled(res.body.id, allCompensated);
    const [done] = await engine.store.compensations.listByOrchestration(res.body.id);
    expect(done).toMatchObject({ status: 'completed', failedAt: null });
    const get = await api.get(`/compensation-failures/${done!.id}`);
    expect(get.status).toBe(404);
    for (const action of ['resolve', 'ignore', 'retry']) {
      const r = await api.post(`/compensation-failures/${done!.id}/${action}`, {
        reason: 'was never failed',
      });
      expect(r.status, action).toBe(404);
      expect(r.body.error.message).toBe(`failed compensation not found: ${done!.id}`);
    }
    expect(await engine.store.compensations.listAudit(done!.id)).toEqual([]);
  });

  it('records an expired compensation when the TTL runs out while the service is away', async () => {
    const proxy = await new TcpProxy(engine.port).start();
    cleanup.push(() => proxy.close());
    const hold = await revertible('hold', async () => undefined, proxy.url, 400);
    const blocker = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'blocker',
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async () => {
        proxy.cut(); // the revertible service drops off before compensation starts
        throw new Error('blocked');
      },
    });
    cleanup.push(() => blocker.shutdown());
    const res = await api.post('/orchestrations', chain([hold.id, blocker.id]));
    const view = await settled(res.body.id, allCompensated);
    expect(view.tasks[0].compensation.status).toBe('expired');
    const [failure] = (await api.get(`/compensation-failures?orchestration=${res.body.id}`)).body;
    expect(failure).toMatchObject({ status: 'expired', resolutionState: 'pending', attemptsMade: 0 });
    expect(failure.failure).toContain('TTL');
  });

  it('compensates with reason aborted when a service aborts', async () => {
    const contexts: any[] = [];
    const reserve = await revertible('reserve', async (_o, _r, context) => {
      contexts.push(context);
    });
    const checker = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'checker',
      input: { orderId: 'string' },
      output: { ok: 'boolean' },
      handler: async (task) => task.abort({ reason: 'fraud suspected', score: 97 }),
    });
    cleanup.push(() => checker.shutdown());
    const res = await api.post('/orchestrations', chain([reserve.id, checker.id]));
    const view = await settled(res.body.id, allCompensated);
    expect(view.status).toBe('aborted');
    expect(view.abortInfo).toMatchObject({
      taskId: 'task2',
      serviceName: 'checker',
      payload: { reason: 'fraud suspected', score: 97 },
    });
    expect(contexts).toEqual([
      expect.objectContaining({ reason: 'aborted', payload: { reason: 'fraud suspected', score: 97 } }),
    ]);
    expect((await api.get(`/orchestrations/${res.body.id}`)).body.abortReason).toEqual({
      reason: 'fraud suspected',
      score: 97,
    });
  });

  it('lets an operator abort an orchestration in flight, compensating with reason aborted', async () => {
    const contexts: any[] = [];
    const reserve = await revertible('reserve-two', async (_o, _r, context) => {
      contexts.push(context);
    });
    let release!: () => void;
    const slow = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'slow',
      input: { orderId: 'string' },
      output: { ok: 'boolean' },
      handler: () => new Promise((r) => (release = () => r({ ok: true }))),
    });
    cleanup.push(
      () => slow.shutdown(),
      () => release?.(),
    );
    const res = await api.post('/orchestrations', chain([reserve.id, slow.id]));
    await waitFor(() => release, { what: 'slow task to start' });
    const aborted = await api.post(`/orchestrations/${res.body.id}/abort`, { reason: 'customer cancelled' });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({ status: 'aborted', abortReason: { reason: 'customer cancelled' } });
    await settled(res.body.id, allCompensated);
    expect(contexts).toEqual([
      expect.objectContaining({
        reason: 'aborted',
        payload: expect.objectContaining({ reason: 'customer cancelled' }),
      }),
    ]);
    const twice = await api.post(`/orchestrations/${res.body.id}/abort`, {});
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toContain('aborted');
  });

  it('gives the compensation of an abort without a payload a context without payload', async () => {
    const contexts: any[] = [];
    const reserve = await revertible('reserve-three', async (_o, _r, context) => {
      contexts.push(context);
    });
    const quitter = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'quitter',
      input: { orderId: 'string' },
      output: { ok: 'boolean' },
      handler: async (task) => task.abort(),
    });
    cleanup.push(() => quitter.shutdown());
    const res = await api.post('/orchestrations', chain([reserve.id, quitter.id]));
    const view = await settled(res.body.id, allCompensated);
    expect(view.status).toBe('aborted');
    expect(contexts).toHaveLength(1);
    expect(Object.keys(contexts[0]).sort()).toEqual(['orchestrationId', 'reason', 'timestamp']);
    expect(contexts[0]).toMatchObject({ orchestrationId: res.body.id, reason: 'aborted' });
  });

  it('takes a missing, zero or negative compensation TTL from a service as the default 24 h', async () => {
    const ttls: Record<string, number | undefined> = { zero: 0, negative: -5, missing: undefined };
    const raws = [];
    for (const [name, ttl] of Object.entries(ttls)) {
      const raw = await new RawService(api, {
        name: `raw-ttl-${name}`,
        revertible: true,
        onTask: (input) => ({
          output: input,
          compensation: { data: { name }, ...(ttl === undefined ? {} : { ttl }) } as {
            data: unknown;
            ttl: number;
          },
        }),
      }).start();
      cleanup.push(() => raw.close());
      raws.push(raw);
    }
    const broken = await new RawService(api, {
      name: 'raw-ttl-fails',
      onTask: () => ({ error: 'out of stock' }),
    }).start();
    cleanup.push(() => broken.close());
    const res = await api.post('/orchestrations', chainPlan([...raws.map((r) => r.id), broken.id]));
    expect(res.status).toBe(202);
    await settled(res.body.id, allCompensated);
    // The raw services cannot undo anything, so each compensation fails for good (after its three
    // attempts) rather than expiring: a TTL taken as 0 or -5 ms would have expired it at once.
    const failures = (await api.get(`/compensation-failures?orchestration=${res.body.id}`)).body;
    expect(
      failures
        .map((f: any) => [f.compensationData.data.name, f.status, f.compensationData.ttl, f.attemptsMade])
        .sort(),
    ).toEqual([
      ['missing', 'failed', 86_400_000, 3],
      ['negative', 'failed', 86_400_000, 3],
      ['zero', 'failed', 86_400_000, 3],
    ]);
  });

  it('hides failed compensations from other projects (404 for read, resolve, ignore, retry)', async () => {
    const [mine] = (await api.get('/compensation-failures?resolution=pending')).body ?? [];
    expect(mine).toBeDefined();
    const other = await newProject(engine.url, 'nosy');
    expect((await other.api.get('/compensation-failures')).body).toBeNull();
    expect((await other.api.get(`/compensation-failures/${mine.id}`)).status).toBe(404);
    for (const action of ['resolve', 'ignore', 'retry']) {
      const res = await other.api.post(`/compensation-failures/${mine.id}/${action}`, { reason: 'not mine' });
      expect(res.status, action).toBe(404);
    }
    expect((await api.get(`/compensation-failures/${mine.id}`)).body.resolutionState).toBe('pending');
  });
});
