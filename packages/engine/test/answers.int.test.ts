import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../src/logging/logger.js';
import { newProject, type Api } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { startService } from './helpers/sdk-services.js';
import { startTestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/** Long enough that a timeout can never pass for the service's answer within the tests' deadlines. */
const LONG_TIMEOUT = '600s';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An answer belongs to the work, not to the attempt (issue 16): after a restart the engine sends the
 * work again under a new execution id, the SDK answers that request `in_progress`, and the outcome comes
 * under the original execution id. The engine must take it.
 */
describe('answers after an engine restart', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  const engineIn = async (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'orra-answers-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    return { dir, port, env };
  };

  it('fails the orchestration with the service’s own error when a task fails after the engine was killed', async () => {
    const at = await engineIn({ ORRA_TASK_MAX_ATTEMPTS: '1' });
    let engine = await new EngineProcess(at.port, at.dir, at.env).start(60_000);
    cleanup.push(() => engine.kill());
    const { api, apiKey } = await newProject(engine.url);
    let runs = 0;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const bank = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'bank',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      handler: async () => {
        runs += 1;
        started();
        await sleep(3_000);
        throw new Error('card declined by the issuing bank');
      },
    });
    cleanup.push(() => bank.shutdown());
    const res = await api.post('/orchestrations', {
      action: { content: 'charge the card' },
      data: [{ field: 'orderId', value: 'ORD1' }],
      timeout: LONG_TIMEOUT,
      plan: { tasks: [{ id: 'task1', service: bank.id, input: { orderId: '$task0.orderId' } }] },
    });
    expect(res.status).toBe(202);
    await running;
    await engine.kill();
    engine = await new EngineProcess(at.port, at.dir, at.env).start(60_000);

    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.status === 'failed' ? v : undefined;
      },
      // Far below the 600 s timeout: only the service's answer can end it in time.
      { what: 'the orchestration to fail with the service’s error', timeoutMs: 90_000, intervalMs: 100 },
    );
    expect(JSON.stringify(view.error)).toContain('card declined by the issuing bank');
    expect(JSON.stringify(view.error)).not.toContain('timed out');
    // A second run is possible and harmless: when the engine takes longer than the handler to come back,
    // the SDK (which caches results, not failures) runs the re-sent request again; the first failure is
    // the one counted, and the second is a late answer.
    expect(runs).toBeGreaterThan(0);
    const task = view.tasks[0];
    const statuses = task.statusHistory.map((h: any) => h.status);
    // The failure may come before or after the engine sends the task again (whichever the SDK's
    // reconnect and the engine's re-send order): either way it is the service's answer that counts.
    expect(statuses.slice(0, 2)).toEqual(['processing', 'paused']);
    expect(statuses.at(-1)).toBe('failed');
    expect(task.statusHistory.filter((h: any) => h.status === 'failed').map((h: any) => h.error)).toEqual([
      'card declined by the issuing bank',
      'task1 failed after 1 attempt: card declined by the issuing bank',
    ]);
  }, 180_000);

  it('completes a compensation that succeeded while the engine was down, with no failed attempt', async () => {
    const at = await engineIn({ ORRA_TASK_MAX_ATTEMPTS: '1', ORRA_COMPENSATION_ATTEMPT_TIMEOUT_MS: '600000' });
    let engine = await new EngineProcess(at.port, at.dir, at.env).start(60_000);
    cleanup.push(() => engine.kill());
    const { api, apiKey } = await newProject(engine.url);
    let reverts = 0;
    let reverting!: () => void;
    const revertRunning = new Promise<void>((r) => (reverting = r));
    const payment = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'payment',
      input: { orderId: 'string' },
      output: { ref: 'string' },
      revertible: true,
      handler: async (t) => ({ ref: `pay-${t.input.orderId}` }),
      onRevert: async () => {
        reverts += 1;
        reverting();
        await sleep(3_000);
      },
    });
    const delivery = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'delivery',
      input: { ref: 'string' },
      output: { eta: 'string' },
      handler: async () => {
        throw new Error('no courier');
      },
    });
    cleanup.push(() => payment.shutdown(), () => delivery.shutdown());
    const res = await api.post('/orchestrations', {
      action: { content: 'pay then deliver' },
      data: [{ field: 'orderId', value: 'ORD2' }],
      plan: {
        tasks: [
          { id: 'task1', service: payment.id, input: { orderId: '$task0.orderId' } },
          { id: 'task2', service: delivery.id, input: { ref: '$task1.ref' } },
        ],
      },
    });
    expect(res.status).toBe(202);
    await revertRunning;
    await engine.kill();
    engine = await new EngineProcess(at.port, at.dir, at.env).start(60_000);

    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.tasks?.[0]?.compensation?.status === 'completed' ? v : undefined;
      },
      { what: 'the compensation to complete', timeoutMs: 90_000, intervalMs: 100 },
    );
    expect(reverts).toBe(1);
    // The outcome may come before or after the engine sends the compensation again: never a failure.
    const history = view.tasks[0].compensationHistory.map((h: any) => [h.status, h.attempt]);
    expect(history[0]).toEqual(['processing', 1]);
    expect(history.at(-1)).toEqual(['completed', 1]);
    expect(history.filter(([status]: [string]) => status !== 'processing' && status !== 'completed')).toEqual([]);
    expect(view.tasks[0].compensation).toMatchObject({ status: 'completed', attempt: 1 });
    expect((await api.get('/compensation-failures')).body).toBeNull();
  }, 180_000);
});

describe('answers after an attempt timed out', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('compensates the late result of a revertible task whose attempt timed out and failed the orchestration', async () => {
    const engine = await startTestEngine({ taskMaxAttempts: 1 });
    cleanup.push(() => engine.dispose());
    const { api, apiKey } = await newProject(engine.url);
    const reverted: unknown[] = [];
    let finished = false;
    const hold = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'hold',
      input: { orderId: 'string' },
      output: { holdId: 'string' },
      revertible: true,
      handler: async (t) => {
        await sleep(2_500);
        finished = true;
        return { holdId: `hold-${t.input.orderId}` };
      },
      onRevert: async (_task, result) => {
        reverted.push(result);
      },
    });
    cleanup.push(() => hold.shutdown());
    const res = await api.post('/orchestrations', {
      action: { content: 'hold stock' },
      data: [{ field: 'orderId', value: 'ORD3' }],
      timeout: '1s',
      plan: { tasks: [{ id: 'task1', service: hold.id, input: { orderId: '$task0.orderId' } }] },
    });
    expect(res.status).toBe(202);
    const failed = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.status === 'failed' ? v : undefined;
      },
      { what: 'the attempt to time out', timeoutMs: 20_000 },
    );
    expect(JSON.stringify(failed.error)).toContain('timed out');
    expect(finished).toBe(false);

    await waitFor(() => reverted.length > 0, { what: 'the late result to be reverted', timeoutMs: 20_000 });
    expect(reverted).toEqual([{ holdId: 'hold-ORD3' }]);
    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.tasks[0].compensation?.status === 'completed' ? v : undefined;
      },
      { what: 'the compensation to complete' },
    );
    expect(view.tasks[0].lateAnswers).toEqual([
      expect.objectContaining({ outcome: 'result', output: { holdId: 'hold-ORD3' }, disposition: 'compensating' }),
    ]);
  });
});

/** A bare WebSocket client of one service: sees its requests and sends any answer it is told to. */
async function rawSocket(api: Api, serviceId: string) {
  const requests: any[] = [];
  const ws = new WebSocket(`${api.baseUrl.replace(/^http/, 'ws')}/ws?serviceId=${serviceId}&apiKey=${api.apiKey}`);
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === 'task_request' || m.type === 'compensation_request') requests.push(m);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let n = 0;
  return {
    requests,
    send(payload: Record<string, unknown>) {
      ws.send(JSON.stringify({ id: `message_${++n}`, payload: { serviceId, ...payload } }));
    },
    close: () => ws.close(),
  };
}

describe('answers the engine refuses', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('refuses and logs an answer from another service, or under an unknown key; the task still takes its own', async () => {
    const log: any[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) log.push(JSON.parse(line));
        done();
      },
    });
    const engine = await startTestEngine({}, undefined, createLogger('info', destination));
    cleanup.push(() => engine.dispose());
    const { api } = await newProject(engine.url);
    const register = async (name: string) =>
      (
        await api.post('/register/service', {
          name,
          description: `${name} test service`,
          schema: { input: { type: 'object', properties: { n: { type: 'number' } } }, output: { type: 'object', properties: { n: { type: 'number' } } } },
        })
      ).body.id as string;
    const ownerId = await register('owner');
    const strangerId = await register('stranger');
    const owner = await rawSocket(api, ownerId);
    const stranger = await rawSocket(api, strangerId);
    cleanup.push(() => owner.close(), () => stranger.close());

    const res = await api.post('/orchestrations', {
      action: { content: 'count' },
      timeout: LONG_TIMEOUT,
      plan: { tasks: [{ id: 'task0', input: { n: 1 } }, { id: 'task1', service: ownerId, input: { n: '$task0.n' } }] },
    });
    expect(res.status).toBe(202);
    const request = await waitFor(() => owner.requests[0], { what: 'the task request' });
    const inspect = async () => (await api.get(`/orchestrations/inspections/${res.body.id}`)).body;

    stranger.send({ type: 'task_result', taskId: 'task1', executionId: request.executionId, idempotencyKey: request.idempotencyKey, result: { task: { n: 666 } } });
    stranger.send({ type: 'task_result', taskId: 'task1', executionId: 'e_nothing', idempotencyKey: 'f'.repeat(64), result: { task: { n: 7 } } });
    const refused = await waitFor(
      () => {
        const lines = log.filter((l) => l.msg === 'service answer refused');
        return lines.length >= 2 ? lines : undefined;
      },
      { what: 'both answers to be refused in the log' },
    );
    expect(refused).toEqual([
      expect.objectContaining({ serviceId: strangerId, idempotencyKey: request.idempotencyKey, reason: `the work was sent to service ${ownerId}, not to this one` }),
      expect.objectContaining({ serviceId: strangerId, idempotencyKey: 'f'.repeat(64), reason: 'no task or compensation has this idempotency key' }),
    ]);
    expect((await inspect()).tasks[0].status).toBe('processing');

    // The service the work was sent to answers under another execution id: it is taken all the same.
    owner.send({ type: 'task_result', taskId: 'task1', executionId: 'e_an_earlier_run', idempotencyKey: request.idempotencyKey, result: { task: { n: 2 } } });
    const view = await waitFor(async () => {
      const v = await inspect();
      return v.status === 'completed' ? v : undefined;
    }, { what: 'the orchestration to complete' });
    expect(view.results).toEqual([{ n: 2 }]);
  });
});
