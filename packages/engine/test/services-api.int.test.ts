import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { startService } from './helpers/sdk-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

const schema = {
  input: { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] },
  output: { type: 'object', properties: { ok: { type: 'boolean' } } },
};
// Go's RFC3339Nano, as orra writes times: trailing zeros of the fraction dropped (.430 → .43, .000 → none).
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;

describe('GET /services and GET /services/{id}', () => {
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  const cleanup: (() => unknown)[] = [];

  beforeAll(async () => {
    engine = await startTestEngine();
    ({ api, apiKey } = await newProject(engine.url));
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await engine.dispose();
  });

  it('answers an empty list for a project without services', async () => {
    const { api: empty } = await newProject(engine.url, 'empty');
    const res = await empty.get('/services');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('lists services and agents by name with schema, revertible flag and connection state', async () => {
    const registered = await api.post('/register/agent', {
      name: 'writer',
      description: 'Writes replies',
      schema,
    });
    expect(registered.status).toBe(200);
    const before = Date.now();
    const payments = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'payments',
      input: { orderId: 'string' },
      output: { chargeId: 'string' },
      revertible: true,
      handler: async () => ({ chargeId: 'ch' }),
      onRevert: async () => ({}),
    });
    cleanup.push(() => payments.shutdown());
    const list = await waitFor(
      async () => {
        const body = (await api.get('/services')).body as any[];
        return body.find((s) => s.id === payments.id)?.connection.state === 'connected' ? body : undefined;
      },
      { what: 'payments to show as connected' },
    );
    expect(list.map((s) => s.name)).toEqual(['payments', 'writer']);
    const [pay, writer] = list;
    expect(pay).toEqual({
      id: payments.id,
      name: 'payments',
      kind: 'service',
      description: 'payments test service',
      revertible: true,
      version: 1,
      schema: {
        input: { type: 'object', properties: { orderId: { type: 'string' } } },
        output: { type: 'object', properties: { chargeId: { type: 'string' } } },
      },
      connection: { state: 'connected', sockets: 1, since: expect.stringMatching(RFC3339) },
      tasks: { waiting: 0, running: 0, retrying: 0 },
      createdAt: expect.stringMatching(RFC3339),
      updatedAt: expect.stringMatching(RFC3339),
    });
    expect(Date.parse(pay.connection.since)).toBeGreaterThanOrEqual(before);
    expect(writer).toMatchObject({
      id: registered.body.id,
      kind: 'agent',
      revertible: false,
      schema,
      // Registered over HTTP and never connected since the engine started.
      connection: { state: 'disconnected', sockets: 0, since: null },
    });
    expect((await api.get(`/services/${payments.id}`)).body).toEqual(pay);
  });

  it('counts a second socket without moving "connected since", and shows since when a service is gone', async () => {
    const first = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'shipping',
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async () => ({ eta: 'soon' }),
    });
    cleanup.push(() => first.shutdown());
    const connected = await waitFor(
      async () => {
        const s = (await api.get(`/services/${first.id}`)).body;
        return s.connection.sockets === 1 ? s : undefined;
      },
      { what: 'shipping to connect' },
    );
    const second = await startService({
      orraUrl: engine.url,
      apiKey,
      id: first.id,
      name: 'shipping',
      input: { orderId: 'string' },
      output: { eta: 'string' },
      handler: async () => ({ eta: 'soon' }),
    });
    cleanup.push(() => second.shutdown());
    const both = await waitFor(
      async () => {
        const s = (await api.get(`/services/${first.id}`)).body;
        return s.connection.sockets === 2 ? s : undefined;
      },
      { what: 'the second socket' },
    );
    expect(both.connection.since).toBe(connected.connection.since);
    const beforeStop = Date.now();
    await first.shutdown();
    await second.shutdown();
    const gone = await waitFor(
      async () => {
        const s = (await api.get(`/services/${first.id}`)).body;
        return s.connection.state === 'disconnected' ? s : undefined;
      },
      { what: 'shipping to show as disconnected' },
    );
    expect(gone.connection.sockets).toBe(0);
    expect(Date.parse(gone.connection.since)).toBeGreaterThanOrEqual(beforeStop - 5);
  });

  it('counts the tasks waiting on each service: waiting for it to connect, and sent to it awaiting the answer', async () => {
    const { api: own, apiKey: ownKey } = await newProject(engine.url, 'waiting');
    const away = (await own.post('/register/service', { name: 'away', description: 'never connects', schema })).body.id as string;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const busy = await startService({
      orraUrl: engine.url,
      apiKey: ownKey,
      name: 'busy',
      input: { orderId: 'string' },
      output: { ok: 'boolean' },
      handler: async () => {
        await gate;
        return { ok: true };
      },
    });
    cleanup.push(() => busy.shutdown());
    const start = async (service: string) => {
      const plan = { tasks: [{ id: 'task0', input: { orderId: 'o-1' } }, { id: 'task1', service, input: { orderId: '$task0.orderId' } }] };
      const res = await own.post('/orchestrations', { action: { content: 'wait' }, plan });
      expect(res.status).toBe(202);
      return res.body.id as string;
    };
    const waiting = [await start(away), await start(away)];
    const running = await start(busy.id);
    const tasksOf = async (id: string) => ((await own.get('/services')).body as { id: string; tasks: unknown }[]).find((s) => s.id === id)?.tasks;
    await waitFor(async () => JSON.stringify(await tasksOf(busy.id)) === JSON.stringify({ waiting: 0, running: 1, retrying: 0 }) || undefined, { what: 'the busy service to count 1 running' });
    expect(await tasksOf(away)).toEqual({ waiting: 2, running: 0, retrying: 0 });
    expect((await own.get(`/services/${away}`)).body.tasks).toEqual({ waiting: 2, running: 0, retrying: 0 });
    // Another project's services count none of these.
    expect(((await api.get('/services')).body as { tasks: { waiting: number; running: number } }[]).every((s) => s.tasks.waiting === 0 && s.tasks.running === 0)).toBe(true);
    release();
    await waitFor(async () => ((await own.get(`/orchestrations/${running}`)).body.status === 'completed' ? true : undefined));
    expect(await tasksOf(busy.id)).toEqual({ waiting: 0, running: 0, retrying: 0 });
    for (const id of waiting) expect((await own.post(`/orchestrations/${id}/abort`, { reason: 'test done' })).status).toBe(200);
    expect(await tasksOf(away)).toEqual({ waiting: 0, running: 0, retrying: 0 });
  });

  it("answers 404 Orra:UnknownService for an unknown id and for another project's service", async () => {
    const unknown = await api.get('/services/s_nosuchservice');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'Orra:UnknownService', param: 'id' });
    const { api: other } = await newProject(engine.url, 'other');
    const mine = (await api.get('/services')).body[0].id as string;
    const foreign = await other.get(`/services/${mine}`);
    expect(foreign.status).toBe(404);
    expect((await other.get('/services')).body).toEqual([]);
  });

  it('needs an API key', async () => {
    const res = await fetch(`${engine.url}/services`);
    expect(res.status).toBe(401);
  });
});
