import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api} from './helpers/api.js';
import { newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { SseClient } from './helpers/sse-client.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

const cursor = (n: number) => String(n).padStart(20, '0');

// The live stream of the event log through a real engine (SQLite, or PostgreSQL with ORRA_TEST_DATABASE=postgres).
describe('event stream (GET /events/stream)', () => {
  let engine: TestEngine;
  let api: Api;
  let apiKey: string;
  let other: { api: Api; apiKey: string };
  const services: RawService[] = [];
  const clients: SseClient[] = [];
  let inc: RawService;
  let boom: RawService;

  beforeAll(async () => {
    engine = await startTestEngine({ taskMaxAttempts: 1, taskBackoffMs: 10, eventStreamKeepaliveMs: 200, eventStreamBookmarkMs: 300 });
    ({ api, apiKey } = await newProject(engine.url));
    other = await newProject(engine.url, 'other-project');
    inc = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    boom = await new RawService(api, { name: 'boom', onTask: () => ({ error: 'boom' }) }).start();
    services.push(inc, boom);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of services) s.close();
    await engine?.dispose();
  });

  async function stream(query = '', lastEventId?: string, key = apiKey): Promise<SseClient> {
    const client = await new SseClient(`${engine.url}/events/stream${query}`, key, lastEventId).open();
    clients.push(client);
    return client;
  }

  async function orchestrate(serviceIds: string[]): Promise<string> {
    const res = await api.post('/orchestrations', chainPlan(serviceIds));
    expect(res.status).toBe(202);
    // Orchestrations run concurrently and their events are numbered as they finish: wait for this one's
    // event so that the events come in the order the tests submit them.
    const id = res.body.id as string;
    await waitFor(async () => (await api.get(`/events?orchestration_id=${id}`)).body.data.length === 1, {
      what: `the event of ${id}`,
    });
    return id;
  }

  it('sends each event as it commits: id = cursor, event = type, data = the feed\'s envelope', async () => {
    const client = await stream('?after=head');
    expect(client.status).toBe(200);
    expect(client.headers?.get('content-type')).toMatch(/^text\/event-stream/);
    expect(client.headers?.get('x-accel-buffering')).toBe('no');
    const first = await orchestrate([inc.id]);
    const second = await orchestrate([boom.id]);
    const got = await waitFor(() => (client.events().length >= 2 ? client.events() : undefined));
    expect(got.map((e) => e.data.subject)).toEqual([first, second]);
    const feed = (await api.get('/events')).body.data;
    for (const e of got) {
      expect(e.id).toBe(e.data.sequence);
      expect(e.event).toBe(e.data.type);
      expect(e.data).toEqual(feed.find((f: any) => f.id === e.data.id));
    }
  });

  it('sends a keepalive comment while idle', async () => {
    const client = await stream('?after=head');
    await waitFor(() => client.frames.some((f) => f.comment === 'keepalive'), { what: 'a keepalive comment' });
  });

  it('resumes after a disconnect from Last-Event-ID, with nothing missed or repeated', async () => {
    const start = (await api.get('/events?after=head')).body.head_cursor;
    const client = await stream(`?after=${start}`);
    const before = [await orchestrate([inc.id]), await orchestrate([inc.id])];
    await waitFor(() => client.events().length >= 2);
    client.close();
    const last = client.events().at(-1)!.id;
    const whileAway = [await orchestrate([inc.id]), await orchestrate([boom.id])];
    // Last-Event-ID wins over after= (a browser's EventSource resends the URL it was opened with).
    const resumed = await stream(`?after=${start}`, last);
    const after = [await orchestrate([inc.id])];
    const got = await waitFor(() => (resumed.events().length >= 3 ? resumed.events() : undefined));
    expect(client.events().map((e) => e.data.subject)).toEqual(before);
    expect(got.map((e) => e.data.subject)).toEqual([...whileAway, ...after]);
    const sequences = [...client.events(), ...got].map((e) => Number(e.id));
    expect(sequences).toEqual(sequences.map((_, i) => Number(start) + 1 + i));
  });

  it('with a filter, sends only matching events and bookmarks the head so a reconnect skips what it hid', async () => {
    const client = await stream('?after=head&type=orchestration.failed');
    await orchestrate([inc.id]);
    await orchestrate([inc.id]);
    const head = await waitFor(async () => {
      const h = (await api.get('/events?after=head')).body.head_cursor;
      return client.frames.some((f) => f.event === 'bookmark' && f.id === h) ? h : undefined;
    }, { what: 'a bookmark at the head' });
    const bookmark = client.frames.find((f) => f.event === 'bookmark' && f.id === head)!;
    expect(JSON.parse(bookmark.data!)).toEqual({ head_cursor: head });
    expect(client.events()).toEqual([]);
    const failed = await orchestrate([boom.id]);
    const got = await waitFor(() => (client.events().length > 0 ? client.events() : undefined));
    expect(got.map((e) => [e.event, e.data.subject])).toEqual([['orchestration.failed', failed]]);
    expect(Number(got[0]!.id)).toBeGreaterThan(Number(head));
  });

  it('refuses bad input with a JSON 4xx before streaming, and shows one project only its own events', async () => {
    expect((await stream('', 'not-a-cursor')).errorBody.error).toMatchObject({ code: 'Orra:ValidationFailed', param: 'Last-Event-ID' });
    expect((await stream('?type=orchestration.exploded')).status).toBe(400);
    expect((await stream('?after=-1')).status).toBe(400);
    expect((await stream('?after=99999999')).status).toBe(400);
    const unauthenticated = await new SseClient(`${engine.url}/events/stream`, 'sk-orra-v1-nope').open();
    expect(unauthenticated.status).toBe(401);
    const theirs = await stream('', undefined, other.apiKey);
    const mine = await stream('');
    await orchestrate([inc.id]);
    await waitFor(() => mine.events().length > 0);
    expect(mine.events().every((e) => e.data.source === mine.events()[0]!.data.source)).toBe(true);
    expect(theirs.events()).toEqual([]);
    expect(cursor(1)).toBe(mine.events()[0]!.id);
  });
});

describe('event stream at shutdown', () => {
  it('ends open streams with a close event saying why, and the engine stops promptly', async () => {
    const engine = await startTestEngine();
    const { apiKey } = await newProject(engine.url);
    const client = await new SseClient(`${engine.url}/events/stream?after=head`, apiKey).open();
    expect(client.status).toBe(200);
    const startedAt = Date.now();
    await engine.dispose();
    expect(Date.now() - startedAt).toBeLessThan(20_000); // generous: the keep-alive timeout would be 72 s
    await waitFor(() => client.isEnded, { what: 'the stream to end' });
    const closed = client.frames.find((f) => f.event === 'close');
    expect(JSON.parse(closed!.data!).reason).toMatch(/shutting down/);
  });
});
