import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEngine, type Engine } from '../src/app.js';
import { Api, newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { startService } from './helpers/sdk-services.js';
import {
  adminQuery,
  dropSchema,
  isPostgresReachable,
  isPostgresRun,
  TEST_DATABASE_URL,
  uniqueSchema,
} from './helpers/test-database.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

// Several engine processes on one PostgreSQL schema. These tests always use PostgreSQL, so the run that
// repeats the suite on PostgreSQL skips them rather than running them twice.
const isSkipped = isPostgresRun || !(await isPostgresReachable());

/** The schema of every service here: a number to count on, and a label carried along. */
const COUNTER_IO = { input: { n: 'number', label: 'string' }, output: { n: 'number', label: 'string' } };

/** A counter's value in an engine's /metrics (0 when absent). */
async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** A chain of `n` tasks on one service, each adding 1. */
function chain(serviceId: string, n: number, label: string) {
  const tasks: { id: string; service?: string; input: Record<string, unknown> }[] = [
    { id: 'task0', input: { n: 0, label } },
  ];
  for (let i = 1; i <= n; i++)
    tasks.push({
      id: `task${i}`,
      service: serviceId,
      input: { n: `$task${i - 1}.n`, label: '$task0.label' },
    });
  return { action: { content: `count to ${n} (${label})` }, plan: { tasks } };
}

describe.skipIf(isSkipped)('several engine processes on one PostgreSQL database', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) {
      await c();
    }
  });

  function newSchema(label: string): string {
    const schema = uniqueSchema(label);
    cleanup.push(() => dropSchema(schema));
    return schema;
  }

  async function inProcessEngine(schema: string, overrides: Record<string, unknown> = {}): Promise<Engine> {
    const dataDir = mkdtempSync(join(tmpdir(), 'orra-cluster-'));
    const engine = await startEngine({
      env: {},
      overrides: {
        port: 0,
        dataDir,
        logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
        databaseUrl: TEST_DATABASE_URL,
        databaseSchema: schema,
        clusterCheckIntervalMs: 200,
        ...overrides,
      },
    });
    cleanup.push(async () => {
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    return engine;
  }

  /** Engines A and B on a fresh schema, a project registered through A, and clients for both. */
  async function twoEngines(
    label: string,
    overridesA: Record<string, unknown> = {},
    overridesB = overridesA,
  ) {
    const schema = newSchema(label);
    const a = await inProcessEngine(schema, overridesA);
    const b = await inProcessEngine(schema, overridesB);
    const { api: apiA, apiKey } = await newProject(a.url);
    return { schema, a, b, apiA, apiB: new Api(b.url, apiKey), apiKey };
  }

  /**
   * Two instances of one service `worker` (same id), the first connected to A and the second to B, each
   * with the handler `handler(where)`; resolves once both sockets are in the registry.
   */
  async function workerOnBoth(
    { schema, a, b, apiKey }: Awaited<ReturnType<typeof twoEngines>>,
    handler: (where: 'onA' | 'onB') => (t: any) => Promise<unknown>,
  ) {
    const first = await startService({ orraUrl: a.url, apiKey, name: 'worker', ...COUNTER_IO, handler: handler('onA') });
    cleanup.push(() => first.shutdown());
    const second = await startService({
      orraUrl: b.url,
      apiKey,
      name: 'worker',
      id: first.id,
      ...COUNTER_IO,
      handler: handler('onB'),
    });
    expect(second.id).toBe(first.id);
    cleanup.push(() => second.shutdown());
    await waitFor(
      async () => (await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.service_sockets`)).rows[0].n === 2,
      { what: 'both instances to be registered' },
    );
    return first.id;
  }

  it('runs an orchestration submitted to B on a service connected to A; both read the result', async () => {
    const { schema, a, b, apiA, apiB, apiKey } = await twoEngines('ab');
    const inc = await startService({
      orraUrl: a.url,
      apiKey,
      name: 'inc',
      ...COUNTER_IO,
      handler: async (t) => ({ n: t.input.n + 1, label: t.input.label }),
    });
    cleanup.push(() => inc.shutdown());

    const res = await apiB.post('/orchestrations', chain(inc.id, 3, 'via-b'));
    expect(res.status).toBe(202);
    const view = await waitFor(
      async () => {
        const v = (await apiB.get(`/orchestrations/inspections/${res.body.id}`)).body;
        return v.status === 'completed' ? v : undefined;
      },
      { what: 'the orchestration submitted to B to complete', timeoutMs: 15_000 },
    );
    expect(view.results).toEqual([{ n: 3, label: 'via-b' }]);
    const fromA = (await apiA.get(`/orchestrations/${res.body.id}`)).body;
    expect(fromA.status).toBe('completed');
    expect(fromA.results).toEqual([{ n: 3, label: 'via-b' }]);
    // B owned it; the service's socket was on A: the tasks went through the routing tables, which are empty again.
    const { rows: owner } = await adminQuery(
      `SELECT owner_node FROM ${schema}.orchestrations WHERE id = $1`,
      [res.body.id],
    );
    const { rows: nodes } = await adminQuery(`SELECT id FROM ${schema}.engine_nodes`);
    expect(nodes.map((n) => n.id).sort()).toEqual([a.nodeId, b.nodeId].sort());
    expect(owner[0]?.owner_node).toBe(b.nodeId);
    const { rows: waiting } = await adminQuery(
      `SELECT (SELECT count(*) FROM ${schema}.cluster_dispatch)::int AS d, (SELECT count(*) FROM ${schema}.cluster_inbox)::int AS i`,
    );
    expect(waiting[0]).toEqual({ d: 0, i: 0 });
    // Three tasks went from B to A's socket, three results from A back to B.
    expect(await metric(b.url, 'orra_cluster_routed_messages_total{direction="to_service"}')).toBe(3);
    expect(await metric(a.url, 'orra_cluster_routed_messages_total{direction="to_owner"}')).toBe(3);
  });

  it('fences a process out of an orchestration another has taken over: its step rolls back, nothing is sent', async () => {
    const { schema, a, b, apiA, apiKey } = await twoEngines('fence');
    const seen: string[] = [];
    const service = {
      orraUrl: a.url,
      apiKey,
      name: 'inc',
      ...COUNTER_IO,
      handler: async (t: { input: { n: number; label: string } }) => {
        seen.push(t.input.label);
        return { n: t.input.n + 1, label: t.input.label };
      },
    };
    const offline = await startService(service);
    await offline.shutdown();
    const first = await apiA.post('/orchestrations', chain(offline.id, 1, 'first'));
    expect(first.status).toBe(202);
    await waitFor(
      async () => {
        const task = (await apiA.get(`/orchestrations/inspections/${first.body.id}`)).body.tasks?.[0];
        return task?.statusHistory.at(-1)?.status === 'paused';
      },
      { what: 'the first task to wait for its service' },
    );
    // What a takeover does: another live process becomes the owner. A still holds the orchestration in memory.
    await adminQuery(`UPDATE ${schema}.orchestrations SET owner_node = $1 WHERE id = $2`, [b.nodeId, first.body.id]);
    const journalBefore = await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.journal WHERE orchestration_id = $1`, [first.body.id]);

    // The service comes back: A tries to send the paused task, which takes a step on the orchestration.
    const online = await startService({ ...service, id: offline.id });
    cleanup.push(() => online.shutdown());
    // A later orchestration of A's own runs through: by then A has acted on the first one's paused task.
    const second = await apiA.post('/orchestrations', chain(online.id, 1, 'second'));
    await waitFor(async () => (await apiA.get(`/orchestrations/${second.body.id}`)).body.status === 'completed', {
      what: 'the second orchestration to complete',
    });
    expect(seen).toEqual(['second']);
    const journalAfter = await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.journal WHERE orchestration_id = $1`, [first.body.id]);
    expect(journalAfter.rows[0].n).toBe(journalBefore.rows[0].n);
    const { rows } = await adminQuery(`SELECT state FROM ${schema}.tasks WHERE orchestration_id = $1 AND task_id = 'task1'`, [first.body.id]);
    expect(rows[0]?.state).toBe('paused');
  });

  it('aborts, through any process, an orchestration another process owns', async () => {
    const { a, apiA, apiB, apiKey } = await twoEngines('abort');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    cleanup.push(() => release());
    const stuck = await startService({
      orraUrl: a.url,
      apiKey,
      name: 'stuck',
      ...COUNTER_IO,
      handler: async (t) => {
        await held;
        return { n: t.input.n, label: t.input.label };
      },
    });
    cleanup.push(() => stuck.shutdown());
    const res = await apiA.post('/orchestrations', chain(stuck.id, 1, 'held'));
    expect(res.status).toBe(202);
    await waitFor(
      async () => (await apiA.get(`/orchestrations/${res.body.id}`)).body.status === 'processing',
      {
        what: 'the orchestration to be processing on A',
      },
    );
    const aborted = await apiB.post(`/orchestrations/${res.body.id}/abort`, { reason: 'stop it from B' });
    expect(aborted.status).toBe(200);
    expect(aborted.body.status).toBe('aborted');
    expect((await apiA.get(`/orchestrations/${res.body.id}`)).body.status).toBe('aborted');
    // A second abort finds nothing in flight anywhere.
    expect((await apiB.post(`/orchestrations/${res.body.id}/abort`, {})).status).toBe(409);
  });

  it('sends a task again when the process it was routed to no longer holds a socket of its service', async () => {
    const { a, b, apiB, apiKey } = await twoEngines('resend', {}, { taskTimeoutMs: 120_000 });
    let gotFirst!: () => void;
    const firstGot = new Promise<void>((r) => (gotFirst = r));
    const first = await startService({
      orraUrl: a.url,
      apiKey,
      name: 'flaky',
      ...COUNTER_IO,
      handler: async () => {
        gotFirst();
        return new Promise(() => undefined); // never answers: its process goes away
      },
    });
    const res = await apiB.post('/orchestrations', chain(first.id, 1, 'moved'));
    expect(res.status).toBe(202);
    await firstGot; // B owns the task; it went out through A's socket
    await first.shutdown();
    const second = await startService({
      orraUrl: b.url,
      apiKey,
      name: 'flaky',
      id: first.id,
      ...COUNTER_IO,
      handler: async (t) => ({ n: t.input.n + 1, label: t.input.label }),
    });
    cleanup.push(() => second.shutdown());
    // Far sooner than the 120 s attempt timeout: B resends as soon as A reports the socket gone.
    const done = await waitFor(
      async () => {
        const o = (await apiB.get(`/orchestrations/${res.body.id}`)).body;
        return o.status === 'completed' ? o : undefined;
      },
      { what: 'the task to be sent again and complete', timeoutMs: 10_000 },
    );
    expect(done.results).toEqual([{ n: 1, label: 'moved' }]);
  });

  it('with spread routing, shares one service’s tasks among its instances on different processes, each task run once', async () => {
    const engines = await twoEngines('spread', { clusterRouting: 'spread' });
    const { apiA } = engines;
    const runs = new Map<string, number>();
    const byInstance = { onA: 0, onB: 0 };
    const serviceId = await workerOnBoth(engines, (where) => async (t: any) => {
      const key = `${t.input.label}/${t.id}`;
      runs.set(key, (runs.get(key) ?? 0) + 1);
      byInstance[where] += 1;
      return { n: t.input.n + 1, label: t.input.label };
    });

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await apiA.post('/orchestrations', chain(serviceId, 2, `o${i}`));
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    for (const id of ids) {
      await waitFor(async () => (await apiA.get(`/orchestrations/${id}`)).body.status === 'completed', {
        what: `orchestration ${id} to complete`,
        timeoutMs: 15_000,
      });
    }
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    // Submitted to A, yet B's instance took a share (about half; at least a quarter).
    expect(byInstance.onA + byInstance.onB).toBe(40);
    expect(byInstance.onB).toBeGreaterThanOrEqual(10);
    expect(byInstance.onA).toBeGreaterThanOrEqual(10);
  });

  it('with local-first routing (the default), serves each process’s orchestrations from its own instance', async () => {
    const engines = await twoEngines('local');
    const { apiA, apiB } = engines;
    const served = { onA: [] as string[], onB: [] as string[] };
    const serviceId = await workerOnBoth(engines, (where) => async (t: any) => {
      served[where].push(t.input.label);
      return { n: t.input.n + 1, label: t.input.label };
    });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await (i % 2 === 0 ? apiA : apiB).post(
        '/orchestrations',
        chain(serviceId, 2, i % 2 === 0 ? `a${i}` : `b${i}`),
      );
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    for (const id of ids) {
      await waitFor(async () => (await apiA.get(`/orchestrations/${id}`)).body.status === 'completed', {
        what: `orchestration ${id} to complete`,
      });
    }
    // Both instances took a share, and each only of its own process's orchestrations: nothing was routed.
    expect(served.onA.length).toBe(10);
    expect(served.onB.length).toBe(10);
    expect(served.onA.every((l) => l.startsWith('a'))).toBe(true);
    expect(served.onB.every((l) => l.startsWith('b'))).toBe(true);
  });

  it('takes over from a SIGKILLed engine: sockets move, orchestrations finish, every webhook arrives, no task runs twice', async () => {
    const schema = newSchema('failover');
    const dataDir = mkdtempSync(join(tmpdir(), 'orra-cluster-a-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = {
      ORRA_DATABASE_URL: TEST_DATABASE_URL,
      ORRA_DATABASE_SCHEMA: schema,
      ORRA_CLUSTER_CHECK_INTERVAL_MS: '200',
      // Longer than the test waits: a task lost with A must be sent again because A died, not because
      // its attempt timed out.
      ORRA_TASK_TIMEOUT_MS: '120000',
    };
    const a = await new EngineProcess(await freePort(), dataDir, env).start();
    cleanup.push(() => a.kill());
    const b = await inProcessEngine(schema, { taskTimeoutMs: 120_000 });
    const { api: apiA, apiKey } = await newProject(a.url);
    const apiB = new Api(b.url, apiKey);
    const receiver = await new WebhookReceiver().listen();
    cleanup.push(() => receiver.close());
    expect((await apiA.post('/webhooks', { url: receiver.url })).status).toBe(201);

    const runs = new Map<string, number>();
    let started = 0;
    let someRunning!: () => void;
    const running = new Promise<void>((r) => (someRunning = r));
    // No task finishes before every orchestration is submitted: on a loaded machine the submissions can take
    // longer than a whole chain, and an orchestration A completed before it died is rightly never taken over.
    let openGate!: () => void;
    const allSubmitted = new Promise<void>((r) => (openGate = r));
    // Services list both engines: when A dies they reconnect to B (the SDK moves on to the next URL).
    const slow = await startService({
      orraUrl: [a.url, b.url],
      apiKey,
      name: 'slow',
      ...COUNTER_IO,
      handler: async (t) => {
        const key = `${t.input.label}/${t.id}`;
        runs.set(key, (runs.get(key) ?? 0) + 1);
        started += 1;
        if (started === 12) someRunning();
        await allSubmitted;
        await new Promise((r) => setTimeout(r, 250));
        return { n: t.input.n + 1, label: t.input.label };
      },
    });
    cleanup.push(() => slow.shutdown());

    // Half owned by A, half by B; all of them start on the socket held by A.
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      const res = await (i % 2 === 0 ? apiA : apiB).post('/orchestrations', chain(slow.id, 3, `f${i}`));
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    await running;
    openGate();
    await a.kill();

    for (const id of ids) {
      const o = await waitFor(
        async () => {
          const r = (await apiB.get(`/orchestrations/${id}`)).body;
          return r.status === 'completed' ? r : undefined;
        },
        { what: `orchestration ${id} to complete on B`, timeoutMs: 30_000 },
      ).catch(async (err: Error) => {
        // Say where it stopped: the inspection shows each task's state and history.
        const view = (await apiB.get(`/orchestrations/inspections/${id}`)).body;
        throw new Error(`${err.message}\n${JSON.stringify(view, null, 1).slice(0, 4000)}`);
      });
      expect(o.results).toEqual([{ n: 3, label: expect.stringMatching(/^f\d+$/) }]);
    }
    // B owns them all now: the half A owned were claimed when A's session ended.
    const { rows: owners } = await adminQuery(
      `SELECT owner_node, count(*)::int AS n FROM ${schema}.orchestrations GROUP BY owner_node`,
    );
    expect(owners).toEqual([{ owner_node: b.nodeId, n: 16 }]);
    expect(await metric(b.url, 'orra_cluster_takeovers_total{kind="orchestration"}')).toBe(8);
    expect(runs.size).toBe(48);
    expect([...runs.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // Every orchestration's completion event reached the receiver (a resend of an attempt in flight at
    // the crash is allowed; a missing one is not).
    await waitFor(
      () =>
        ids.every((id) =>
          receiver.received.some(
            (h) =>
              h.json?.orchestration_id === id || h.json?.data?.orchestration_id === id || h.body.includes(id),
          ),
        ),
      { what: 'an orchestration.completed webhook for each orchestration', timeoutMs: 20_000 },
    );
    // A is gone from the cluster: B removed its node row and its socket rows.
    await waitFor(
      async () => (await adminQuery(`SELECT count(*)::int AS n FROM ${schema}.engine_nodes`)).rows[0].n === 1,
      {
        what: "A's node row to be removed",
      },
    );
  });

  it('delivers each webhook event once to each endpoint under load across two engines', async () => {
    const { a, apiA, apiB, apiKey } = await twoEngines('load', {}, { taskTimeoutMs: 120_000 });
    const receivers = [await new WebhookReceiver().listen(), await new WebhookReceiver().listen()];
    for (const r of receivers) {
      cleanup.push(() => r.close());
      expect((await apiA.post('/webhooks', { url: r.url })).status).toBe(201);
    }
    const echoA = await startService({
      orraUrl: a.url,
      apiKey,
      name: 'echo',
      ...COUNTER_IO,
      handler: async (t) => ({ n: t.input.n + 1, label: t.input.label }),
    });
    cleanup.push(() => echoA.shutdown());

    const total = 200;
    const submitted = await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const res = await (i % 2 === 0 ? apiA : apiB).post('/orchestrations', chain(echoA.id, 2, `l${i}`));
        expect(res.status).toBe(202);
        return res.body.id as string;
      }),
    );
    for (const r of receivers) {
      await waitFor(() => r.received.length >= total, {
        what: `${total} webhooks at ${r.url}`,
        timeoutMs: 30_000,
      });
    }
    // Give a duplicate the chance to show up before counting.
    await new Promise((r) => setTimeout(r, 500));
    for (const r of receivers) {
      const eventIds = r.received.map((h) => h.headers['webhook-id']);
      expect(new Set(eventIds).size).toBe(total);
      expect(eventIds.length).toBe(total);
      const reported = new Set(r.received.map((h) => submitted.find((id) => h.body.includes(id))));
      expect(reported.size).toBe(total);
    }
  });

  it('GET /services on either engine counts the sockets on both, and says when the service went away', async () => {
    const pair = await twoEngines('presence');
    const { a, apiA, apiB, apiKey } = pair;
    const onA = await startService({
      orraUrl: a.url,
      apiKey,
      name: 'worker',
      ...COUNTER_IO,
      handler: async (t) => t.input,
    });
    cleanup.push(() => onA.shutdown());
    const onB = await startService({
      orraUrl: pair.b.url,
      apiKey,
      name: 'worker',
      id: onA.id,
      ...COUNTER_IO,
      handler: async (t) => t.input,
    });
    cleanup.push(() => onB.shutdown());
    const connection = async (api: Api) => (await api.get(`/services/${onA.id}`)).body.connection;
    for (const api of [apiA, apiB]) {
      await waitFor(async () => (await connection(api)).sockets === 2, {
        what: `two sockets seen by ${api.baseUrl}`,
      });
    }
    expect((await connection(apiB)).state).toBe('connected');
    await onA.shutdown();
    // B holds no socket of A's: it learns of the close through the database.
    await waitFor(async () => (await connection(apiB)).sockets === 1, {
      what: 'B to see the socket on A close',
    });
    expect((await connection(apiB)).state).toBe('connected');
    await onB.shutdown();
    for (const api of [apiA, apiB]) {
      const gone = await waitFor(
        async () => {
          const c = await connection(api);
          return c.state === 'disconnected' ? c : undefined;
        },
        { what: `${api.baseUrl} to see the service gone` },
      );
      expect(gone).toEqual({ state: 'disconnected', sockets: 0, since: expect.stringMatching(/Z$/) });
    }
  });
});
