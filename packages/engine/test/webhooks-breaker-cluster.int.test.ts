import { afterAll, describe, expect, it } from 'vitest';
import { Api, newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { waitFor } from './helpers/wait-for.js';
import { dropSchema, isPostgresReachable, isPostgresRun, uniqueSchema } from './helpers/test-database.js';
import { startClusterEngine } from './helpers/test-engine.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

// The breaker with two engine processes on one PostgreSQL schema: one process's decision (trip, probe,
// recovery, pause) holds for both. Always on PostgreSQL, so the PostgreSQL repeat of the suite skips it.
const isSkipped = isPostgresRun || !(await isPostgresReachable());

describe.skipIf(isSkipped)('webhook circuit breaker on several engine processes (PostgreSQL)', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  const engineOn = (schema: string) =>
    startClusterEngine(schema, cleanup, {
      webhookProbeSchedule: '50ms,100ms,200ms,400ms',
      webhookRetrySchedule: '0s,5ms,300ms,1800ms,7200ms',
      webhookMaxConcurrencyPerEndpoint: 1,
    });

  it('trips once for both processes, holds events on both, probes from one, and drains both on recovery', async () => {
    const schema = uniqueSchema('breaker');
    cleanup.push(() => dropSchema(schema));
    const a = await engineOn(schema);
    const b = await engineOn(schema);
    const { api: apiA, apiKey } = await newProject(a.url);
    const apiB = new Api(b.url, apiKey);
    const operator = await new WebhookReceiver().listen();
    let isDown = true;
    const r = new WebhookReceiver();
    r.reply = () => (isDown ? { status: 503 } : { status: 200 });
    await r.listen();
    cleanup.push(
      () => r.close(),
      () => operator.close(),
    );
    expect((await apiA.post('/webhooks', { url: operator.url, kind: 'operator' })).status).toBe(201);
    const id = (await apiA.post('/webhooks', { url: r.url })).body.id as string;
    // One service per process, so each process commits (and sends) its own orchestrations' events.
    const onA = await new RawService(apiA, {
      name: 'inc-a',
      onTask: (input) => ({ output: { n: input.n + 1 } }),
    }).start();
    const onB = await new RawService(apiB, {
      name: 'inc-b',
      onTask: (input) => ({ output: { n: input.n + 1 } }),
    }).start();
    cleanup.push(
      () => onA.close(),
      () => onB.close(),
    );
    const events = (type: string) => operator.received.filter((h) => h.json?.type === type);
    const orchestrations: string[] = [];
    for (let i = 0; i < 5; i++) {
      orchestrations.push((await apiA.post('/orchestrations', chainPlan([onA.id]))).body.id);
      orchestrations.push((await apiB.post('/orchestrations', chainPlan([onB.id]))).body.id);
    }
    await waitFor(() => events('webhook.endpoint.failing').length > 0, { what: 'the trip' });
    const trippedAt = events('webhook.endpoint.failing')[0]!.at;
    // Both processes see it: the API of either shows the endpoint failing or probing.
    for (const api of [apiA, apiB]) {
      const e = (await api.get('/webhooks')).body.find((x: any) => x.id === id);
      expect(['failing', 'probing']).toContain(e.state);
    }
    await new Promise((res) => setTimeout(res, 1500));
    // Only probes after the trip, never two at once, all of them the oldest held event.
    const probes = r.received.filter((h) => h.at > trippedAt);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.length).toBeLessThanOrEqual(8);
    expect(new Set(probes.map((h) => h.headers['webhook-id'])).size).toBe(1);
    isDown = false;
    await waitFor(
      async () =>
        (await apiB.get(`/webhooks/deliveries?endpoint=${id}&status=succeeded`)).body.deliveries.length ===
        10,
      {
        timeoutMs: 15_000,
        what: 'every event delivered from both processes',
      },
    );
    await new Promise((res) => setTimeout(res, 300));
    expect(events('webhook.endpoint.failing')).toHaveLength(1);
    expect(events('webhook.endpoint.recovered')).toHaveLength(1);
    expect(events('webhook.delivery.exhausted')).toEqual([]);
    const delivered = new Set(r.received.filter((h) => h.json).map((h) => h.json.orchestration_id));
    expect(orchestrations.every((o) => delivered.has(o))).toBe(true);

    // A pause made through one process holds on the other.
    expect((await apiA.post(`/webhooks/${id}/pause`)).body.state).toBe('paused');
    const before = r.received.length;
    await apiB.post('/orchestrations', chainPlan([onB.id]));
    await waitFor(
      async () => (await apiB.get('/webhooks')).body.find((x: any) => x.id === id).heldEvents === 1,
    );
    await new Promise((res) => setTimeout(res, 300));
    expect(r.received.length).toBe(before);
    expect((await apiA.post(`/webhooks/${id}/resume`)).body.state).toBe('active');
    await waitFor(() => r.received.length === before + 1, {
      what: 'the held event sent by the other process after resume',
    });
  }, 60_000);
});
