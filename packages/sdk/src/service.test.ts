import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { OrraApiError, ServiceShutdownError, TaskAbortedError } from './errors.js';
import { initAgent } from './service.js';
import type { InitServiceOptions, RegisterOptions } from './service-options.js';
import { FakeEngine } from './test-support/fake-engine.js';
import {
  memoryPersistence,
  resultFor,
  ServiceHarness,
  TEST_KEY,
  TEST_SCHEMA,
} from './test-support/service-harness.js';
import { waitFor } from './test-support/wait-for.js';

const KEY = TEST_KEY;
const SCHEMA = TEST_SCHEMA;
const h = new ServiceHarness();
let engine: FakeEngine;

beforeEach(async () => {
  await h.start();
  engine = h.engine;
});
afterEach(() => h.stop());

const create = (overrides?: Partial<InitServiceOptions>) => h.create(overrides);
const connected = (register?: Partial<RegisterOptions>, overrides?: Partial<InitServiceOptions>) =>
  h.connected(register, overrides);
const taskRequest = (key: string, input?: Record<string, unknown>) => h.taskRequest(key, input);

describe('initService', () => {
  it('rejects invalid names, a missing URL or key, and a bad revertTTL', async () => {
    expect(() => create({ name: 'A' })).toThrow(/invalid name/);
    expect(() => create({ name: 'Bad_Name' })).toThrow(/invalid name/);
    expect(() => create({ orraUrl: '' })).toThrow(/orraUrl/);
    expect(() => create({ orraUrl: 'ftp://x' })).toThrow(/http or https/);
    expect(() => create({ orraKey: '' })).toThrow(/orraKey is required/);
    expect(() => create({ reconnectBackoff: { multiplier: 0.5 } })).toThrow(
      /reconnectBackoff\.multiplier must be a number, 1 or more \(got 0\.5\)/,
    );
    expect(() => create({ reconnectBackoff: { jitterRatio: 2 } })).toThrow(/reconnectBackoff\.jitterRatio/);
    const svc = create();
    await expect(svc.register({ description: 'x', schema: SCHEMA, revertTTL: 100 })).rejects.toThrow(
      /revertTTL/,
    );
    await expect(svc.register({ description: '', schema: SCHEMA })).rejects.toThrow(/description/);
    expect(engine.registrations).toHaveLength(0);
  });

  it('registers with the bearer key and connects with the id and the URL-encoded key', async () => {
    const svc = await connected();
    expect(engine.registrations[0]).toEqual({
      path: '/register/service',
      authorization: `Bearer ${KEY}`,
      body: {
        id: null,
        name: 'echo-svc',
        description: 'Echoes',
        schema: SCHEMA,
        revertible: false,
        version: 0,
      },
    });
    expect(svc.info).toEqual({ id: 's_fakeservice', version: 1, revertible: false, revertTTL: 86_400_000 });
    expect(engine.connections[0]?.get('serviceId')).toBe('s_fakeservice');
    expect(engine.connections[0]?.get('apiKey')).toBe(KEY);
  });

  it('registers agents at /register/agent', async () => {
    const agent = initAgent({
      name: 'agent-1',
      orraUrl: engine.url,
      orraKey: KEY,
      persistenceOpts: memoryPersistence().opts,
    });
    h.onStop(() => agent.shutdown());
    await agent.register({ description: 'An agent', schema: SCHEMA });
    expect(engine.registrations[0]?.path).toBe('/register/agent');
  });

  it('writes the id to the default key file and sends it on the next registration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orra-sdk-'));
    const cwd = process.cwd();
    process.chdir(dir);
    h.onStop(() => process.chdir(cwd));
    engine.registerReply = (reg) => ({
      status: 200,
      body: { id: reg.body.id ?? 's_fromfile', version: engine.registrations.length },
    });
    const first = create({ persistenceOpts: undefined });
    await first.register({ description: 'Echoes', schema: SCHEMA });
    await first.shutdown();
    const file = join(dir, '.orra-data', 'echo-svc-orra-service-key.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ id: 's_fromfile' });

    const second = create({ persistenceOpts: { method: 'file' } });
    await second.register({ description: 'Echoes', schema: SCHEMA });
    expect(engine.registrations[1]?.body.id).toBe('s_fromfile');
    expect(second.info.version).toBe(2);
  });

  it('uses custom persistence for loading and saving the id', async () => {
    const { store, opts } = memoryPersistence('s_stored');
    engine.registerReply = () => ({ status: 200, body: { id: 's_stored', version: 7 } });
    await connected({}, { persistenceOpts: opts });
    expect(engine.registrations[0]?.body.id).toBe('s_stored');
    expect(store.saves).toEqual(['s_stored']);
  });

  it('surfaces the server error message when registration fails', async () => {
    engine.registerReply = () => ({
      status: 400,
      body: {
        error: {
          kind: 'input validation error',
          code: 'Orra:ValidationFailed',
          param: 'schema',
          message: 'schema.input: needs a property',
        },
      },
    });
    const err = await create()
      .register({ description: 'Echoes', schema: SCHEMA })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrraApiError);
    expect(err).toMatchObject({ message: 'schema.input: needs a property', status: 400, param: 'schema' });
  });

  it('registers afresh when the engine does not know the stored id', async () => {
    const { store, opts } = memoryPersistence('s_gone');
    engine.registerReply = (reg) =>
      reg.body.id
        ? {
            status: 404,
            body: {
              error: { kind: 'item does not exist', code: 'Orra:UnknownService', message: 'unknown service' },
            },
          }
        : { status: 200, body: { id: 's_new', version: 1 } };
    await connected({}, { persistenceOpts: opts });
    expect(engine.registrations.map((r) => r.body.id)).toEqual(['s_gone', null]);
    expect(store.id).toBe('s_new');
  });

  it('tries the next URL when the first cannot be reached', async () => {
    const dead = await new FakeEngine().start();
    const deadUrl = dead.url;
    await dead.stop();
    const svc = await connected({}, { orraUrl: [deadUrl, engine.url] });
    expect(svc.info.id).toBe('s_fakeservice');
  });
  it('connects with the given WebSocketImpl', async () => {
    const urls: string[] = [];
    class CountingWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        urls.push(url);
      }
    }
    await connected({}, { WebSocketImpl: CountingWebSocket });
    expect(urls).toEqual([
      `${engine.url.replace('http', 'ws')}/ws?serviceId=s_fakeservice&apiKey=${encodeURIComponent(KEY)}`,
    ]);
  });
});

describe('tasks', () => {
  it('sends a wrapped task_result with the compensation data of a revertible service', async () => {
    const svc = await connected({ revertible: true, revertTTL: 60_000 });
    expect(() => svc.start(async () => ({}))).toThrow('onRevert handler is missing');
    svc.onRevert(async () => {});
    svc.start(async (task) => ({ echo: task.input.message }));
    const request = taskRequest('k-rev');
    engine.send(request);
    const frame = await engine.waitForFrame(resultFor('k-rev'), 'the task result');
    expect(frame.id).toBe(`message_1_${request.executionId}`);
    expect(frame.payload).toEqual({
      type: 'task_result',
      taskId: 'task1',
      executionId: request.executionId,
      serviceId: 's_fakeservice',
      idempotencyKey: 'k-rev',
      result: {
        task: { echo: 'hi' },
        compensation: { data: { originalTask: request, taskResult: { echo: 'hi' } }, ttl: 60_000 },
      },
      error: null,
    });
  });

  it('sends compensation null for a non-revertible service and the error text when the handler throws', async () => {
    const svc = await connected();
    svc.start(async (task) => {
      if (task.input.mode === 'error') throw new Error('card declined');
      if (task.input.mode === 'string') throw 'plain string';
      return { ok: true };
    });
    engine.send(taskRequest('k-ok', { mode: 'ok' }));
    engine.send(taskRequest('k-err', { mode: 'error' }));
    engine.send(taskRequest('k-str', { mode: 'string' }));
    expect((await engine.waitForFrame(resultFor('k-ok'), 'ok')).payload.result).toEqual({
      task: { ok: true },
      compensation: null,
    });
    expect((await engine.waitForFrame(resultFor('k-err'), 'err')).payload).toMatchObject({
      result: null,
      error: 'card declined',
    });
    expect((await engine.waitForFrame(resultFor('k-str'), 'str')).payload).toMatchObject({
      result: null,
      error: 'plain string',
    });
  });

  it('keeps tasks that arrive between register() and start(), and runs them when start() is called', async () => {
    const svc = await connected();
    engine.send(taskRequest('k-early'));
    engine.send({ type: 'ping', serviceId: 's_fakeservice' });
    await engine.waitForFrame((p) => p.type === 'pong', 'the pong'); // the early task has arrived by now
    expect(engine.payloads(resultFor('k-early'))).toEqual([]);
    const ran: string[] = [];
    svc.start(async (task) => {
      ran.push(task.idempotencyKey);
      return { ok: true };
    });
    engine.send(taskRequest('k-late'));
    await engine.waitForFrame(resultFor('k-early'), 'the early result');
    await engine.waitForFrame(resultFor('k-late'), 'the late result');
    expect(ran).toEqual(['k-early', 'k-late']);
  });

  it('pushes interim results and aborts without a task_result', async () => {
    const svc = await connected();
    let caught: unknown;
    svc.start(async (task) => {
      await task.pushUpdate({ progress: 50 });
      if (task.input.abort) {
        try {
          await task.abort({ reason: 'fraud' });
        } catch (err) {
          caught = err;
          throw err;
        }
      }
      return { done: true };
    });
    engine.send(taskRequest('k-abort', { abort: true }));
    const abort = await engine.waitForFrame((p) => p.type === 'task_abort_result', 'the abort');
    expect(abort.payload).toMatchObject({ idempotencyKey: 'k-abort', result: { task: { reason: 'fraud' } } });
    expect(engine.payloads((p) => p.type === 'task_interim_result')).toEqual([
      expect.objectContaining({
        taskId: 'task1',
        idempotencyKey: 'k-abort',
        result: { task: { progress: 50 } },
      }),
    ]);
    await waitFor(() => caught, 'the handler to see the abort error');
    expect(caught).toBeInstanceOf(TaskAbortedError);
    // A later task's result proves the aborted handler has settled without sending a result.
    engine.send(taskRequest('k-after'));
    await engine.waitForFrame(resultFor('k-after'), 'the next result');
    expect(engine.payloads(resultFor('k-abort'))).toEqual([]);
    // Re-sending the aborted key is ignored.
    engine.send(taskRequest('k-abort', { abort: true }));
    engine.send(taskRequest('k-after2'));
    await engine.waitForFrame(resultFor('k-after2'), 'the result after the re-send');
    // Still only the update and the abort: the re-send got no reply at all.
    expect(engine.payloads((p) => p.idempotencyKey === 'k-abort').map((p) => p.type)).toEqual([
      'task_interim_result',
      'task_abort_result',
    ]);
  });

  it('answers pings for its own id only, with a wrapped pong', async () => {
    await connected();
    engine.send({ type: 'ping', serviceId: 's_someoneelse' });
    engine.send({ type: 'ping', serviceId: 's_fakeservice' });
    const pong = await engine.waitForFrame((p) => p.type === 'pong', 'the pong');
    expect(pong).toMatchObject({ id: 'pong', payload: { type: 'pong', serviceId: 's_fakeservice' } });
    engine.send({ type: 'ping', serviceId: 's_fakeservice' });
    await engine.waitForFrame((p) => p.type === 'pong', 'the second pong', 1);
    expect(engine.payloads((p) => p.type === 'pong')).toHaveLength(2);
  });
});

describe('shutdown', () => {
  it('closes with 1000, does not reconnect, and refuses later calls', async () => {
    const svc = await connected();
    let update: (() => Promise<void>) | undefined;
    let release!: () => void;
    svc.start(async (task) => {
      update = () => task.pushUpdate({ late: true });
      await new Promise<void>((r) => (release = r));
      return {};
    });
    engine.send(taskRequest('k-run'));
    await waitFor(() => update, 'the handler to start');
    await svc.shutdown();
    await waitFor(() => engine.openSockets === 0, 'the socket to close');
    expect(engine.closeCodes).toEqual([1000]);
    await expect(update!()).rejects.toBeInstanceOf(ServiceShutdownError);
    await expect(svc.register({ description: 'x', schema: SCHEMA })).rejects.toBeInstanceOf(
      ServiceShutdownError,
    );
    release();
    expect(engine.connections).toHaveLength(1);
  });
});
