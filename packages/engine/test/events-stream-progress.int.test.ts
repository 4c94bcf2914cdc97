import { isPostgresRun } from './helpers/test-database.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from './helpers/api.js';
import { newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { SseClient } from './helpers/sse-client.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

// Progress notices on the live stream (include=progress), and the console's session on the stream,
// through a real engine (SQLite, or PostgreSQL with ORRA_TEST_DATABASE=postgres).
describe('event stream progress notices and console sessions', () => {
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  let other: { api: Api; apiKey: string };
  const services: RawService[] = [];
  const clients: SseClient[] = [];
  let inc: RawService;

  beforeAll(async () => {
    engine = await startTestEngine({ taskMaxAttempts: 1, taskBackoffMs: 10 });
    ({ api, apiKey } = await newProject(engine.url));
    other = await newProject(engine.url, 'other-project');
    inc = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    services.push(inc);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of services) s.close();
    await engine?.dispose();
  });

  async function stream(query: string, key: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await new SseClient(`${engine.url}/events/stream${query}`, key, undefined, headers).open();
    clients.push(client);
    return client;
  }

  async function orchestrate(serviceIds: string[]): Promise<string> {
    const res = await api.post('/orchestrations', chainPlan(serviceIds));
    expect(res.status).toBe(202);
    return res.body.id;
  }

  async function sessionCookie(key: string): Promise<string> {
    const res = await fetch(`${engine.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: key }) });
    expect(res.status).toBe(201);
    return /^(orra_session=[^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
  }

  it('with include=progress, tells each task state change as it commits, without an id, and the log event after it', async () => {
    const client = await stream('?after=head&include=progress', apiKey);
    const plain = await stream('?after=head', apiKey);
    const id = await orchestrate([inc.id, inc.id]);
    await waitFor(() => client.events().some((e) => e.data.subject === id));
    const notices = client.progress().filter((p) => p.data.orchestration_id === id);
    for (const n of notices) expect(n.id).toBeUndefined(); // Last-Event-ID stays the log's cursor
    const states = notices.flatMap((n) => n.data.tasks.map((t: { task_id: string; state: string }) => `${t.task_id}:${t.state}`));
    expect(states).toEqual(expect.arrayContaining(['task1:processing', 'task1:completed', 'task2:processing', 'task2:completed']));
    expect(states.indexOf('task1:completed')).toBeLessThan(states.indexOf('task2:processing'));
    expect(notices.at(-1)!.data.status).toBe('completed');
    // On SQLite the log's event comes after the notice of the step that committed it. On PostgreSQL the
    // commit's own NOTIFY can wake the stream before the step's notice is published (docs/events.md).
    const frames = client.frames.filter((f) => f.event === 'progress' || f.event === 'orchestration.completed');
    if (!isPostgresRun) expect(frames.at(-1)!.event).toBe('orchestration.completed');
    else expect(frames.map((f) => f.event)).toContain('orchestration.completed');
    // Without include=progress nothing changes for existing clients.
    await waitFor(() => plain.events().some((e) => e.data.subject === id));
    expect(plain.frames.some((f) => f.event === 'progress')).toBe(false);
  });

  it('filters notices by orchestration_id, and refuses an unknown include with a 400 naming it', async () => {
    const away = await new RawService(api, { name: 'away', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    services.push(away);
    away.close();
    await waitFor(async () => ((await api.get('/services')).body as { id: string; connection: { state: string } }[]).find((s) => s.id === away.id)?.connection.state === 'disconnected' || undefined);
    const watched = await orchestrate([away.id]); // waits for its service
    const client = await stream(`?after=head&include=progress&orchestration_id=${watched}`, apiKey);
    const other = await orchestrate([inc.id]);
    await waitFor(async () => ((await api.get(`/orchestrations/${other}`)).body.status === 'completed' ? true : undefined));
    expect((await api.post(`/orchestrations/${watched}/abort`, { reason: 'test' })).status).toBe(200);
    await waitFor(() => (client.progress().some((p) => p.data.status === 'aborted') ? true : undefined));
    expect(new Set(client.progress().map((p) => p.data.orchestration_id))).toEqual(new Set([watched]));
    const bad = await stream('?include=tasks', apiKey);
    expect(bad.status).toBe(400);
    expect(bad.errorBody.error).toMatchObject({ code: 'Orra:ValidationFailed', param: 'include' });
  });

  it("serves the stream to a console session, scoped to the session's project, and never without one", async () => {
    const cookie = await sessionCookie(apiKey);
    const client = await stream('?after=head&include=progress', '', { cookie });
    expect(client.status).toBe(200);
    const otherClient = await stream('?after=head&include=progress', '', { cookie: await sessionCookie(other.apiKey) });
    expect(otherClient.status).toBe(200);
    const id = await orchestrate([inc.id]);
    await waitFor(() => client.events().some((e) => e.data.subject === id));
    expect(client.progress().some((p) => p.data.orchestration_id === id)).toBe(true);
    expect(otherClient.events()).toEqual([]);
    expect(otherClient.progress()).toEqual([]);

    const none = await stream('?after=head', '');
    expect(none.status).toBe(401);
    const forged = await stream('?after=head', '', { cookie: 'orra_session=forged' });
    expect(forged.status).toBe(401);
    await fetch(`${engine.url}/console/session`, { method: 'DELETE', headers: { cookie, 'x-orra-client': 'console' } });
    const ended = await stream('?after=head', '', { cookie });
    expect(ended.status).toBe(401);
  });
});
