import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEngine } from '../src/app.js';
import { Api, newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import {
  adminQuery,
  dropSchema,
  isPostgresReachable,
  isPostgresRun,
  TEST_DATABASE_URL,
  uniqueSchema,
} from './helpers/test-database.js';
import { waitFor } from './helpers/wait-for.js';

// Two engine processes on one PostgreSQL schema: always PostgreSQL, so the PostgreSQL re-run skips it.
const isSkipped = isPostgresRun || !(await isPostgresReachable());

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe.skipIf(isSkipped)('answers when another engine process takes the work over', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /** Engine A (a child process, to be killed) and B (in this process) on one fresh schema. */
  async function twoEngines() {
    const schema = uniqueSchema('answers');
    cleanup.push(() => dropSchema(schema));
    const dirA = mkdtempSync(join(tmpdir(), 'orra-answers-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'orra-answers-b-'));
    cleanup.push(() => rmSync(dirA, { recursive: true, force: true }), () => rmSync(dirB, { recursive: true, force: true }));
    const a = await new EngineProcess(await freePort(), dirA, {
      ORRA_DATABASE_URL: TEST_DATABASE_URL,
      ORRA_DATABASE_SCHEMA: schema,
      ORRA_CLUSTER_CHECK_INTERVAL_MS: '200',
      ORRA_TASK_MAX_ATTEMPTS: '1',
    }).start(60_000);
    cleanup.push(() => a.kill());
    const b = await startEngine({
      env: {},
      overrides: {
        port: 0,
        dataDir: dirB,
        logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
        databaseUrl: TEST_DATABASE_URL,
        databaseSchema: schema,
        clusterCheckIntervalMs: 200,
        taskMaxAttempts: 1,
      },
    });
    cleanup.push(() => b.close());
    const { api: apiA, apiKey } = await newProject(a.url);
    return { schema, a, b, apiA, apiB: new Api(b.url, apiKey), apiKey };
  }

  /** A service registered through `api` whose only socket is on engine `url`; it records every request. */
  async function socketOn(url: string, api: Api, apiKey: string, name: string, revertible = false) {
    const registered = await api.post('/register/service', {
      name,
      description: `${name} test service`,
      schema: { input: { type: 'object', properties: { n: { type: 'number' } } }, output: { type: 'object', properties: { n: { type: 'number' } } } },
      ...(revertible ? { revertible: true } : {}),
    });
    const serviceId = registered.body.id as string;
    const requests: any[] = [];
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?serviceId=${serviceId}&apiKey=${apiKey}`);
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.type === 'task_request' || m.type === 'compensation_request') requests.push(m);
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    cleanup.push(() => ws.close());
    let n = 0;
    const answer = (request: any, fields: Record<string, unknown>) =>
      ws.send(
        JSON.stringify({
          id: `message_${++n}`,
          payload: { serviceId, taskId: request.id, executionId: request.executionId, idempotencyKey: request.idempotencyKey, ...fields },
        }),
      );
    return { serviceId, requests, answer };
  }

  it('sends a compensation once per attempt when its owner dies while it runs behind another process, and takes the answer', async () => {
    const { schema, a, b, apiA, apiB, apiKey } = await twoEngines();
    const payment = await socketOn(b.url, apiA, apiKey, 'payment', true);
    const courier = await socketOn(b.url, apiA, apiKey, 'courier');
    await waitFor(
      async () => (await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.service_sockets`)).rows[0].n === 2,
      { what: 'the sockets to be registered' },
    );
    const res = await apiA.post('/orchestrations', {
      action: { content: 'pay then ship' },
      plan: {
        tasks: [
          { id: 'task0', input: { n: 1 } },
          { id: 'task1', service: payment.serviceId, input: { n: '$task0.n' } },
          { id: 'task2', service: courier.serviceId, input: { n: '$task1.n' } },
        ],
      },
    });
    expect(res.status).toBe(202);
    const task = await waitFor(() => payment.requests[0], { what: 'the payment task', timeoutMs: 20_000 });
    payment.answer(task, { type: 'task_result', result: { task: { n: 2 }, compensation: { data: { refund: 2 }, ttl: 600_000 } } });
    const ship = await waitFor(() => courier.requests[0], { what: 'the courier task', timeoutMs: 20_000 });
    courier.answer(ship, { type: 'task_result', error: 'no courier' });
    const revert = await waitFor(() => payment.requests.find((r) => r.type === 'compensation_request'), {
      what: 'the compensation request',
      timeoutMs: 20_000,
    });

    await a.kill();
    await waitFor(async () => (await metric(b.url, 'orra_cluster_takeovers_total{kind="compensation"}')) === 1, {
      what: 'B to take the compensation over',
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(payment.requests.filter((r) => r.type === 'compensation_request')).toHaveLength(1);

    payment.answer(revert, { type: 'task_result', result: { status: 'completed' } });
    const view = await waitFor(
      async () => {
        const v = (await apiB.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.tasks?.[0]?.compensation?.status === 'completed' ? v : undefined;
      },
      { what: 'the compensation to complete on B', timeoutMs: 20_000 },
    );
    expect(view.tasks[0].compensationHistory.map((h: any) => [h.status, h.attempt])).toEqual([
      ['processing', 1],
      ['completed', 1],
    ]);
    expect(payment.requests.filter((r) => r.type === 'compensation_request')).toHaveLength(1);
  }, 180_000);

  it('sends a task once per attempt when its owner dies while the task runs behind another process, and takes the answer', async () => {
    const { schema, a, b, apiA, apiB, apiKey } = await twoEngines();
    // The service's only socket is on B: A, which owns the orchestration, reaches it through B.
    const ledger = await socketOn(b.url, apiA, apiKey, 'ledger');
    await waitFor(
      async () => (await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.service_sockets`)).rows[0].n === 1,
      { what: 'the socket to be registered' },
    );
    const res = await apiA.post('/orchestrations', {
      action: { content: 'post to the ledger' },
      timeout: '600s',
      plan: { tasks: [{ id: 'task0', input: { n: 41 } }, { id: 'task1', service: ledger.serviceId, input: { n: '$task0.n' } }] },
    });
    expect(res.status).toBe(202);
    const first = await waitFor(() => ledger.requests[0], { what: 'the task to reach the service through B', timeoutMs: 20_000 });

    await a.kill();
    // B has claimed and resumed the orchestration once its takeover counter moves; a re-send would
    // have gone out by then. Frames still on the way get a moment to arrive.
    await waitFor(async () => (await metric(b.url, 'orra_cluster_takeovers_total{kind="orchestration"}')) === 1, {
      what: 'B to take the orchestration over',
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ledger.requests.map((r) => r.executionId)).toEqual([first.executionId]);

    // The service answers the one request it had: B, the owner now, takes it.
    ledger.answer(first, { type: 'task_result', result: { task: { n: 42 } } });
    const view = await waitFor(
      async () => {
        const v = (await apiB.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.status === 'completed' ? v : undefined;
      },
      { what: 'the orchestration to complete on B', timeoutMs: 20_000 },
    );
    expect(view.results).toEqual([{ n: 42 }]);
    expect(view.tasks[0].statusHistory.map((h: any) => h.status)).toEqual(['processing', 'completed']);
    expect(ledger.requests).toHaveLength(1);
  }, 180_000);
});
