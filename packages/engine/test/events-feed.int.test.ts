import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Api, newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const cursor = (n: number) => String(n).padStart(20, '0');

// The event log's pull feed through a real engine (SQLite, or PostgreSQL with ORRA_TEST_DATABASE=postgres).
describe('event feed (GET /events)', () => {
  let engine: TestEngine;
  let api: Api;
  let projectId: string;
  let other: Api;
  const receiver = new WebhookReceiver();
  const services: RawService[] = [];
  let inc: RawService;
  let boom: RawService;

  beforeAll(async () => {
    engine = await startTestEngine({ taskMaxAttempts: 1, taskBackoffMs: 10, compensationMaxAttempts: 1, webhookRetrySchedule: '0s,50ms' });
    ({ api, projectId } = await newProject(engine.url));
    ({ api: other } = await newProject(engine.url, 'other-project'));
    await receiver.listen();
    expect((await api.post('/webhooks', { url: receiver.url })).status).toBe(201);
    inc = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    boom = await new RawService(api, { name: 'boom', onTask: () => ({ error: 'boom' }) }).start();
    services.push(inc, boom);
  });
  afterAll(async () => {
    for (const s of services) s.close();
    await receiver.close();
    await engine?.dispose();
    if (engine) rmSync(engine.dataDir, { recursive: true, force: true });
  });

  async function orchestrate(serviceIds: string[], on = api): Promise<string> {
    const res = await on.post('/orchestrations', chainPlan(serviceIds));
    expect(res.status).toBe(202);
    return res.body.id;
  }

  /** Every event of the project, read page by page with `after=`. */
  async function readAll(query = '', limit = 2, on = api): Promise<any[]> {
    const all: any[] = [];
    let after = '';
    for (;;) {
      const res = await on.get(`/events?limit=${limit}${after ? `&after=${after}` : ''}${query}`);
      expect(res.status).toBe(200);
      all.push(...res.body.data);
      if (res.body.data.length > 0) expect(res.body.next_cursor).toBe(res.body.data.at(-1).sequence);
      else expect(res.body.next_cursor).toBe(after || cursor(0));
      after = res.body.next_cursor;
      if (!res.body.has_more) return all;
    }
  }

  it('numbers every event 1, 2, 3… in order and serves it as a CloudEvents envelope whose data is the webhook body', async () => {
    const ids = [await orchestrate([inc.id]), await orchestrate([boom.id]), await orchestrate([inc.id, inc.id])];
    const events = await waitFor(async () => {
      const all = await readAll();
      return all.length >= 3 ? all : undefined;
    });
    expect(events.map((e) => e.sequence)).toEqual([cursor(1), cursor(2), cursor(3)]);
    expect(events.map((e) => e.subject).sort()).toEqual([...ids].sort());
    const hooks = await waitFor(() => (receiver.received.length >= 3 ? receiver.received : undefined));
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['data', 'datacontenttype', 'id', 'sequence', 'source', 'specversion', 'subject', 'time', 'type']);
      expect(e).toMatchObject({ specversion: '1.0', source: `/projects/${projectId}`, datacontenttype: 'application/json' });
      expect(new Date(e.time).toISOString()).toBe(e.time);
      const hook = hooks.find((h) => h.headers['webhook-id'] === e.id);
      expect(hook, `webhook for ${e.id}`).toBeDefined();
      expect(e.data).toEqual(hook!.json); // exactly the webhook body
      expect(e.type).toBe(hook!.json.type);
      expect(hook!.headers['x-orra-sequence']).toBe(e.sequence);
    }
  });

  it('logs events of a project that has no webhook endpoint', async () => {
    const svc = await new RawService(other, { name: 'inc2', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    services.push(svc);
    const id = await orchestrate([svc.id], other);
    const events = await waitFor(async () => {
      const page = (await other.get('/events')).body;
      return page.data.length > 0 ? page.data : undefined;
    });
    expect(events.map((e: any) => [e.sequence, e.subject, e.type])).toEqual([[cursor(1), id, 'orchestration.completed']]);
  });

  it('filters by type and orchestration_id, answering the given cursor on an empty page', async () => {
    const failed = await readAll('&type=orchestration.failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => e.type === 'orchestration.failed')).toBe(true);
    const both = await readAll('&type=orchestration.failed,orchestration.completed');
    expect(both.length).toBeGreaterThan(failed.length);
    const one = (await api.get(`/events?orchestration_id=${failed[0].subject}`)).body;
    expect(one.data.map((e: any) => e.id)).toEqual([failed[0].id]);
    const none = (await api.get('/events?type=orchestration.aborted&after=1')).body;
    expect(none).toEqual({ data: [], next_cursor: cursor(1), has_more: false, head_cursor: expect.any(String) });
    expect(Number(none.head_cursor)).toBeGreaterThanOrEqual(3);
  });

  it('after=head starts at the head; wait holds the request until the next event commits', async () => {
    const head = (await api.get('/events?after=head')).body;
    expect(head.data).toEqual([]);
    expect(head.next_cursor).toBe(head.head_cursor);
    // Held for up to 30 s: an answer with data can only come from the commit waking it.
    const held = api.get(`/events?after=${head.next_cursor}&wait=30`);
    const filtered = api.get(`/events?after=${head.next_cursor}&wait=30&type=orchestration.failed`);
    await new Promise((r) => setTimeout(r, 200));
    const id = await orchestrate([inc.id]);
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: any) => e.subject)).toEqual([id]);
    expect(Number(res.body.data[0].sequence)).toBe(Number(head.next_cursor) + 1);
    // A filtered wait is not answered by an event it does not match; the next failure answers it.
    const failedId = await orchestrate([boom.id]);
    const f = await filtered;
    expect(f.body.data.map((e: any) => e.subject)).toEqual([failedId]);
  });

  it('counts committed events by type and the readers waiting in /metrics', async () => {
    const metric = async (series: string) => {
      const line = (await (await fetch(`${engine.url}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };
    const completed = 'orra_events_total{type="orchestration.completed"}';
    const before = await metric(completed);
    expect(before).toBeGreaterThan(0);
    expect(await metric('orra_event_readers')).toBe(0);
    const held = api.get('/events?after=head&wait=30');
    await waitFor(async () => (await metric('orra_event_readers')) === 1, { what: 'the held request in the gauge' });
    await orchestrate([inc.id]);
    expect((await held).body.data).toHaveLength(1);
    await waitFor(async () => (await metric(completed)) === before + 1, { what: 'the counter to move' });
    expect(await metric('orra_event_readers')).toBe(0);
  });

  it('answers an empty page when wait runs out', async () => {
    const res = await api.get('/events?after=head&wait=0.3');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    expect(res.body.has_more).toBe(false);
  });

  it('rejects bad input with a 400 naming the parameter, and reads nothing', async () => {
    const cases: [string, string][] = [
      ['after=abc', 'after'],
      ['after=-1', 'after'],
      ['after=1e3', 'after'],
      ['after=999999', 'after'], // beyond this project's head
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=2.5', 'limit'],
      ['wait=31', 'wait'],
      ['wait=-1', 'wait'],
      ['wait=soon', 'wait'],
      ['type=orchestration.exploded', 'type'],
      ['type=orchestration.completed,webhook.test', 'type'],
      ['orchestration_id=x', 'orchestration_id'],
    ];
    for (const [query, param] of cases) {
      const res = await api.get(`/events?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toMatchObject({ code: 'Orra:ValidationFailed', param });
    }
    expect((await new Api(engine.url).get('/events')).status).toBe(401);
  });

  it('never shows one project another project\'s events', async () => {
    const mine = await readAll('', 100);
    const theirs = await readAll('', 100, other);
    expect(theirs.every((e) => e.source !== `/projects/${projectId}`)).toBe(true);
    expect(mine.every((e) => e.source === `/projects/${projectId}`)).toBe(true);
    const ids = new Set(mine.map((e) => e.id));
    expect(theirs.some((e) => ids.has(e.id))).toBe(false);
    // This project's cursor is beyond the other's head: refused, not answered with an empty page.
    const res = await other.get(`/events?after=${mine.at(-1).sequence}`);
    expect(res.status).toBe(400);
  });
});

describe('event feed retention', () => {
  let engine: TestEngine;
  afterAll(async () => {
    await engine?.dispose();
  });

  it('answers 410 Orra:CursorExpired with the oldest cursor once retention deleted events after the cursor', async () => {
    engine = await startTestEngine({ retentionMs: 300, retentionSweepIntervalMs: 100 });
    const { api } = await newProject(engine.url);
    const svc = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    try {
      for (let i = 0; i < 3; i++) expect((await api.post('/orchestrations', chainPlan([svc.id]))).status).toBe(202);
      const expired = await waitFor(async () => {
        const res = await api.get('/events?after=0');
        return res.status === 410 ? res : undefined;
      });
      expect(expired.body.error).toMatchObject({ code: 'Orra:CursorExpired', param: 'after', oldest_cursor: expect.stringMatching(/^\d{20}$/) });
      const oldest = expired.body.error.oldest_cursor as string;
      expect(Number(oldest)).toBeGreaterThanOrEqual(1);
      // From the oldest cursor the feed is complete again; no cursor starts there too.
      expect((await api.get(`/events?after=${oldest}`)).status).toBe(200);
      const fromStart = await api.get('/events');
      expect(fromStart.status).toBe(200);
      expect(fromStart.body.data.every((e: any) => Number(e.sequence) > Number(oldest))).toBe(true);
      // New events keep counting from where the log was: numbers are never reused.
      expect((await api.post('/orchestrations', chainPlan([svc.id]))).status).toBe(202);
      await waitFor(async () => (await api.get('/events?after=head')).body.head_cursor === cursor(4), { what: 'the fourth event' });
    } finally {
      svc.close();
    }
  });
});

describe('event feed at shutdown', () => {
  it('answers a held long-poll at once when the engine stops, instead of holding the shutdown for its wait', async () => {
    const engine = await startTestEngine();
    const { api } = await newProject(engine.url);
    const held = api.get('/events?after=head&wait=30');
    await new Promise((r) => setTimeout(r, 300));
    const startedAt = Date.now();
    await engine.dispose();
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    // Well under the 30 s wait (generous for a loaded machine): the shutdown released it.
    expect(Date.now() - startedAt).toBeLessThan(20_000);
  });
});
