import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { startHeld } from './helpers/held-start.js';
import { upgradeStatus } from './helpers/upgrade-status.js';
import { startService } from './helpers/sdk-services.js';
import {
  adminQuery,
  isPostgresReachable,
  isPostgresRun,
  schemaForDataDir,
  TEST_DATABASE_URL,
} from './helpers/test-database.js';

/**
 * How long a child engine may take to come up (or fail): loading its modules alone took 11 s on a
 * 2-core machine at a load average of 26, so the helpers' 15 s default is too tight for these tests.
 */
const STARTUP_MS = 60_000;

/**
 * Starting the engine as a process: what it refuses, what it prints, and that a refused start touches no
 * work. Each test runs the built `dist/main.js` as a child process.
 */
describe('engine start-up', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'orra-startup-'));
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    rmSync(root, { recursive: true, force: true });
  });
  let dirs = 0;
  const newDataDir = () => join(root, `data-${++dirs}`);

  /** An engine with one orchestration whose only task is running in a service that never answers. */
  async function engineWithTaskInFlight(port: number, dataDir: string) {
    const engine = await new EngineProcess(port, dataDir).start(STARTUP_MS);
    cleanup.push(() => engine.kill());
    const { api, apiKey } = await newProject(engine.url);
    let taskStarted!: () => void;
    const started = new Promise<void>((r) => (taskStarted = r));
    const service = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'never-answers',
      input: { n: 'number' },
      output: { n: 'number' },
      handler: () => {
        taskStarted();
        return new Promise(() => undefined);
      },
    });
    cleanup.push(() => service.shutdown());
    const created = await submit(api, service.id);
    await started;
    return { engine, api, orchestrationId: created.body.id as string };
  }

  /** One line, ending in a newline, with no stack frames. */
  const expectOneLine = (text: string) => {
    expect(text, text).toMatch(/^orra-engine: [^\n]+\n$/);
    expect(text).not.toMatch(/\n\s+at /);
  };

  it.skipIf(isPostgresRun)(
    'a second engine on the same SQLite file refuses to start, names the holder, and touches no work',
    async () => {
      const dataDir = newDataDir();
      const { engine, api, orchestrationId } = await engineWithTaskInFlight(await freePort(), dataDir);
      const before = await taskStates(dataDir);
      expect(before).toEqual(['processing']);

      const second = new EngineProcess(await freePort(), dataDir);
      const { code, stderr } = await second.startExpectingFailure(STARTUP_MS);
      expect(code).toBe(1);
      expectOneLine(stderr);
      expect(stderr).toContain(
        `${join(dataDir, 'engine.db')} is in use by another engine process (pid ${engine.pid} `,
      );
      expect(stderr).toContain('ORRA_DATA_DIR');
      // It resumed nothing: the first engine's task is as it was, and the first engine still runs it.
      expect(await taskStates(dataDir)).toEqual(before);
      expect((await api.get(`/orchestrations/${orchestrationId}`)).body.status).toBe('processing');

      // The lock dies with its holder, however it ends: after kill -9 the next engine starts.
      await engine.kill();
      const third = await new EngineProcess(await freePort(), dataDir).start(STARTUP_MS);
      cleanup.push(() => third.kill());
      expect((await fetch(`${third.url}/health`)).status).toBe(200);
    },
  );

  it('an engine that cannot bind its port exits 1 with one line, having resumed nothing', async () => {
    const dataDir = newDataDir();
    const port = await freePort();
    const { engine } = await engineWithTaskInFlight(port, dataDir);
    await engine.kill(); // the task stays `processing` in storage: the next start must pause and re-send it
    const before = await taskStates(dataDir);
    expect(before).toEqual(['processing']);

    const blocker = await occupy(port);
    cleanup.push(() => new Promise((r) => blocker.close(r)));
    const { code, stderr } = await new EngineProcess(port, dataDir).startExpectingFailure(STARTUP_MS);
    expect(code).toBe(1);
    expectOneLine(stderr);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${port}: address already in use`);
    expect(stderr).toContain('PORT');
    expect(await taskStates(dataDir)).toEqual(before);
  });

  it.skipIf(!isPostgresRun)(
    'binds its port first, and answers 503 Orra:PlanEngineStarting and refuses WebSockets until it has resumed its work',
    async () => {
      const dataDir = newDataDir();
      const port = await freePort();
      const first = await new EngineProcess(port, dataDir).start(STARTUP_MS); // creates the schema
      const { api, apiKey } = await newProject(first.url);
      const registered = await api.post('/register/service', {
        name: 'waiting',
        description: 'a service that connects while the engine starts',
        schema: {
          input: { type: 'object', properties: { n: { type: 'number' } } },
          output: { type: 'object', properties: { n: { type: 'number' } } },
        },
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(200);
      await first.stop();

      const held = await startHeld(port, dataDir);
      const { engine } = held;
      cleanup.push(() => engine.kill());
      const health = await fetch(`${engine.url}/health`);
      expect(health.status).toBe(503);
      expect(health.headers.get('retry-after')).toBe('1');
      expect(((await health.json()) as { error: { code: string } }).error.code).toBe(
        'Orra:PlanEngineStarting',
      );
      const wsUrl = `${engine.url.replace('http', 'ws')}/ws?serviceId=${registered.body.id}&apiKey=${apiKey}`;
      expect(await upgradeStatus(wsUrl)).toBe(503);

      await held.release();
      await held.started;
      expect((await fetch(`${engine.url}/health`)).status).toBe(200);
      expect(await upgradeStatus(wsUrl)).toBe(101);
    },
  );

  it('a database that cannot be opened is one line naming it, on SQLite and PostgreSQL', async () => {
    // Its directory cannot be made: a file stands where the directory should be.
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const sqlite = await new EngineProcess(await freePort(), newDataDir(), {
      ORRA_DATABASE_URL: `sqlite:${file}/engine.db`,
    }).startExpectingFailure(STARTUP_MS);
    expect(sqlite.code).toBe(1);
    expectOneLine(sqlite.stderr);
    expect(sqlite.stderr).toContain(`cannot open the database sqlite:${file}/engine.db: `);
    expect(sqlite.stderr).toContain('ORRA_DATABASE_URL');

    if (!(await isPostgresReachable())) return;
    const url = new URL(TEST_DATABASE_URL);
    url.username = 'orra_no_such_role';
    const pg = await new EngineProcess(await freePort(), newDataDir(), {
      ORRA_DATABASE_URL: url.toString(),
    }).startExpectingFailure(STARTUP_MS);
    expect(pg.code).toBe(1);
    expectOneLine(pg.stderr);
    expect(pg.stderr).toContain(
      `cannot open the database ${url.toString()}: role "orra_no_such_role" does not exist`,
    );
  });
});

function submit(api: Api, serviceId: string) {
  return api.post('/orchestrations', {
    action: { content: 'one task that never ends' },
    plan: {
      tasks: [
        { id: 'task0', input: { n: 1 } },
        { id: 'task1', service: serviceId, input: { n: '$task0.n' } },
      ],
    },
  });
}

/** The states of every task in the data dir's storage, read directly (not through an engine). */
async function taskStates(dataDir: string): Promise<string[]> {
  if (isPostgresRun) {
    const { rows } = await adminQuery(
      `SELECT state FROM ${schemaForDataDir(dataDir)}.tasks ORDER BY task_id`,
    );
    return rows.map((r: { state: string }) => r.state);
  }
  const db = new Database(join(dataDir, 'engine.db'), { readonly: true });
  try {
    return (db.prepare('SELECT state FROM tasks ORDER BY task_id').all() as { state: string }[]).map(
      (r) => r.state,
    );
  } finally {
    db.close();
  }
}

/** A plain TCP listener on the port (it speaks no HTTP), so the engine cannot bind it. */
async function occupy(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return server;
}
