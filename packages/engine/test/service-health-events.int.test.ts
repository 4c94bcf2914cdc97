import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, newProject } from './helpers/api.js';
import { startService } from './helpers/sdk-services.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { dropSchema, isPostgresReachable, isPostgresRun, uniqueSchema } from './helpers/test-database.js';
import { startClusterEngine, startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/** A promise the test resolves by hand, to hold a handler mid-task. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEALTH_TYPES = 'service.unhealthy,service.healthy';

/**
 * `service.unhealthy` / `service.healthy` through a real engine, a real SDK service behind a TCP proxy the
 * test cuts (a network cut: the SDK keeps its task and reconnects when the proxy is restored), a real
 * HTTP receiver as the operator endpoint, and the feed.
 */
describe('service health operator events', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function setUp(unhealthyAfterMs: number) {
    const engine: TestEngine = await startTestEngine({ serviceUnhealthyAfterMs: unhealthyAfterMs });
    cleanup.push(() => engine.dispose());
    const { api, apiKey, projectId } = await newProject(engine.url);
    const operator = await new WebhookReceiver().listen();
    cleanup.push(() => operator.close());
    const hook = await api.post('/webhooks', { url: operator.url, kind: 'operator' });
    expect(hook.status).toBe(201);
    const started = gate();
    const release = gate();
    const proxy = await new TcpProxy(engine.port).start();
    const svc = await startService({
      orraUrl: proxy.url,
      apiKey,
      name: 'wobbly',
      input: { v: 'string' },
      output: { v: 'string' },
      handler: async (t) => {
        started.open();
        await release.promise;
        return { v: `done ${t.input.v}` };
      },
    });
    cleanup.push(
      () => proxy.close(),
      () => svc.shutdown(),
    );
    const res = await api.post('/orchestrations', {
      action: { content: 'outlast a network cut' },
      plan: { tasks: [{ id: 'task1', service: svc.id, input: { v: 'x' } }] },
    });
    expect(res.status).toBe(202);
    await started.promise;
    const statuses = async () =>
      (
        (await api.get(`/orchestrations/inspections/${res.body.id}`)).body.tasks?.[0]?.statusHistory ?? []
      ).map((h: any) => h.status);
    const completed = () =>
      waitFor(
        async () =>
          (await api.get(`/orchestrations/inspections/${res.body.id}`)).body.status === 'completed' ||
          undefined,
        {
          what: 'completion after reconnect',
          timeoutMs: 20_000,
        },
      );
    const received = () => operator.received.filter((h) => String(h.json?.type).startsWith('service.'));
    return {
      api,
      projectId,
      operator,
      secret: hook.body.secret as string,
      proxy,
      svc,
      release,
      statuses,
      completed,
      received,
    };
  }

  it('sends one service.unhealthy when a service with a waiting task stays away, and one service.healthy when it is back', async () => {
    const t = await setUp(400);
    t.proxy.cut();
    await waitFor(async () => (await t.statuses()).includes('paused'), { what: 'task paused' });
    const [unhealthy] = await waitFor(() => (t.received().length > 0 ? t.received() : undefined), {
      what: 'service.unhealthy',
      timeoutMs: 10_000,
    });
    expect(unhealthy!.json).toMatchObject({
      type: 'service.unhealthy',
      project_id: t.projectId,
      service_id: t.svc.id,
      service_name: 'wobbly',
      links: { api: `/services/${t.svc.id}`, cli: `orra services inspect ${t.svc.id}` },
    });
    expect(
      new Webhook(t.secret).verify(unhealthy!.body, unhealthy!.headers as Record<string, string>),
    ).toEqual(unhealthy!.json);
    // Still away for several thresholds more: no second unhealthy in the same episode.
    await sleep(1_200);
    expect(t.received().map((h) => h.json.type)).toEqual(['service.unhealthy']);

    t.release.open(); // the handler finishes while cut off; the SDK keeps the result
    t.proxy.restore();
    await t.completed();
    const healthy = await waitFor(() => t.received().find((h) => h.json.type === 'service.healthy'), {
      what: 'service.healthy',
    });
    expect(healthy.json).toMatchObject({
      type: 'service.healthy',
      service_id: t.svc.id,
      away_since: unhealthy!.json.away_since,
      unhealthy_since: unhealthy!.json.unhealthy_since,
      links: { api: `/services/${t.svc.id}`, cli: `orra services inspect ${t.svc.id}` },
    });
    expect(healthy.json.away_ms).toBeGreaterThanOrEqual(400);
    expect(new Webhook(t.secret).verify(healthy.body, healthy.headers as Record<string, string>)).toEqual(
      healthy.json,
    );

    // The feed holds the pair, in order, with the webhooks' ids, and nothing more.
    const feed = await t.api.get(`/events?type=${HEALTH_TYPES}`);
    expect(feed.status).toBe(200);
    expect(feed.body.data.map((e: any) => [e.type, e.subject, e.id])).toEqual([
      ['service.unhealthy', t.svc.id, unhealthy!.json.event_id],
      ['service.healthy', t.svc.id, healthy.json.event_id],
    ]);
    expect(Number(feed.body.data[1].sequence)).toBeGreaterThan(Number(feed.body.data[0].sequence));
    expect(feed.body.data[1].data).toEqual(healthy.json);
    expect(t.received().map((h) => h.json.type)).toEqual(['service.unhealthy', 'service.healthy']);
  });

  it('sends nothing for an absence shorter than the threshold, even after the threshold has passed', async () => {
    const t = await setUp(3_000);
    const cutAt = Date.now();
    t.proxy.cut();
    await waitFor(async () => (await t.statuses()).includes('paused'), { what: 'task paused' });
    t.proxy.restore();
    t.release.open();
    await t.completed();
    // Only meaningful if the service came back before the threshold.
    expect(Date.now() - cutAt).toBeLessThan(3_000);
    await sleep(Math.max(0, cutAt + 3_500 - Date.now()));
    expect((await t.api.get(`/events?type=${HEALTH_TYPES}`)).body.data).toEqual([]);
    expect(t.received()).toEqual([]);
  });
});

// Two engine processes on one PostgreSQL schema, each with an orchestration waiting for the same service:
// both see it away past the threshold, one unhealthy and one healthy are written in all. Always on
// PostgreSQL, so the run that repeats the suite on PostgreSQL skips it rather than running it twice.
const isClusterSkipped = isPostgresRun || !(await isPostgresReachable());

describe.skipIf(isClusterSkipped)(
  'service health operator events on several engine processes (PostgreSQL)',
  () => {
    const cleanup: (() => unknown)[] = [];
    let schema = '';
    beforeAll(() => {
      schema = uniqueSchema('svc_health');
      cleanup.push(() => dropSchema(schema));
    });
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    const engineOn = () => startClusterEngine(schema, cleanup, { serviceUnhealthyAfterMs: 300 });

    it('writes exactly one service.unhealthy and one service.healthy per episode', async () => {
      const a = await engineOn();
      const b = await engineOn();
      const { api: apiA, apiKey } = await newProject(a.url);
      const apiB = new Api(b.url, apiKey);
      const operator = await new WebhookReceiver().listen();
      cleanup.push(() => operator.close());
      expect((await apiA.post('/webhooks', { url: operator.url, kind: 'operator' })).status).toBe(201);
      const proxy = await new TcpProxy(a.port).start();
      let started = 0;
      const bothStarted = gate();
      const release = gate();
      const svc = await startService({
        orraUrl: proxy.url,
        apiKey,
        name: 'shared',
        input: { v: 'string' },
        output: { v: 'string' },
        handler: async (t) => {
          if (++started === 2) bothStarted.open();
          await release.promise;
          return { v: t.input.v };
        },
      });
      cleanup.push(
        () => proxy.close(),
        () => svc.shutdown(),
      );
      // One orchestration owned by each process; B reaches the service through A's socket.
      const ids: string[] = [];
      for (const api of [apiA, apiB]) {
        const res = await api.post('/orchestrations', {
          action: { content: 'wait together' },
          plan: { tasks: [{ id: 'task1', service: svc.id, input: { v: 'x' } }] },
        });
        expect(res.status).toBe(202);
        ids.push(res.body.id);
      }
      await bothStarted.promise;
      proxy.cut();
      for (const [i, api] of [apiA, apiB].entries()) {
        await waitFor(
          async () =>
            (
              (await api.get(`/orchestrations/inspections/${ids[i]}`)).body.tasks?.[0]?.statusHistory ?? []
            ).some((h: any) => h.status === 'paused'),
          {
            what: `task ${i} paused`,
          },
        );
      }
      await waitFor(
        async () => (await apiA.get(`/events?type=service.unhealthy`)).body.data.length > 0 || undefined,
        { what: 'service.unhealthy', timeoutMs: 10_000 },
      );
      await sleep(1_000); // both processes' timers have fired by now
      release.open();
      proxy.restore();
      for (const [i, api] of [apiA, apiB].entries()) {
        await waitFor(
          async () =>
            (await api.get(`/orchestrations/inspections/${ids[i]}`)).body.status === 'completed' || undefined,
          { what: `orchestration ${i} completed`, timeoutMs: 20_000 },
        );
      }
      await waitFor(
        async () => (await apiB.get(`/events?type=service.healthy`)).body.data.length > 0 || undefined,
        { what: 'service.healthy' },
      );
      await sleep(500);
      const feed = (await apiB.get(`/events?type=${HEALTH_TYPES}`)).body.data.map((e: any) => e.type);
      expect(feed).toEqual(['service.unhealthy', 'service.healthy']);
      await waitFor(
        () =>
          operator.received.filter((h) => String(h.json?.type).startsWith('service.')).length >= 2 ||
          undefined,
        { what: 'both delivered' },
      );
      expect(
        operator.received.filter((h) => String(h.json?.type).startsWith('service.')).map((h) => h.json.type),
      ).toEqual(['service.unhealthy', 'service.healthy']);
    });
  },
);
