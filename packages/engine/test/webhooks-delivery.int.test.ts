import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { freePort } from './helpers/engine-process.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

describe('webhook delivery', () => {
  let engine: TestEngine;
  const cleanup: (() => unknown)[] = [];

  beforeAll(async () => {
    engine = await startTestEngine({
      webhookRetrySchedule: '0s,50ms,100ms,200ms,400ms,800ms,1600ms',
      webhookTimeoutMs: 1_000,
      webhookMaxConcurrencyPerEndpoint: 2,
    });
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await engine.dispose();
  });

  /** A project with one service and the given receivers as orchestration endpoints. */
  async function project(...receivers: WebhookReceiver[]) {
    const { api } = await newProject(engine.url);
    const inc = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    cleanup.push(() => inc.close());
    const endpoints: { id: string; secret: string }[] = [];
    for (const r of receivers) {
      cleanup.push(() => r.close());
      const res = await api.post('/webhooks', { url: r.url });
      expect(res.status).toBe(201);
      endpoints.push(res.body);
    }
    const run = async () => {
      const res = await api.post('/orchestrations', chainPlan([inc.id]));
      expect(res.status).toBe(202);
      return res.body.id as string;
    };
    return { api, endpoints, run };
  }

  const delivery = async (api: Api, endpointId: string) => (await api.get(`/webhooks/deliveries?endpoint=${endpointId}`)).body.deliveries[0];
  const settled = (api: Api, endpointId: string, status: string) =>
    waitFor(async () => {
      const d = await delivery(api, endpointId);
      return d?.status === status ? d : undefined;
    }, { what: `a ${status} delivery` });

  it('retries 500, 500, then 200: three attempts with one event id, ending succeeded', async () => {
    const receiver = await new WebhookReceiver().listen();
    receiver.reply = (_h, n) => (n <= 2 ? { status: 500, body: 'try later' } : { status: 200, body: 'ok' });
    const { api, endpoints, run } = await project(receiver);
    await run();
    const d = await settled(api, endpoints[0]!.id, 'succeeded');
    expect(d.attempts).toBe(3);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((h) => h.headers['webhook-id'])).size).toBe(1);
    expect(new Set(receiver.received.map((h) => h.body)).size).toBe(1);
    const event = (await api.get(`/webhooks/events/${d.eventId}`)).body;
    expect(event.body).toBe(receiver.received[0]?.body);
    expect(event.deliveries[0].attemptLog.map((a: any) => [a.httpStatus, a.responseBody, a.succeeded])).toEqual([
      [500, 'try later', false],
      [500, 'try later', false],
      [200, 'ok', true],
    ]);
  });

  it('honours Retry-After between the scheduled delay and twice it', async () => {
    const receiver = await new WebhookReceiver().listen();
    receiver.reply = (_h, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '30' } } : { status: 204 });
    const { api, endpoints, run } = await project(receiver);
    await run();
    await settled(api, endpoints[0]!.id, 'succeeded');
    const [first, second] = receiver.received;
    const gapMs = second!.at - first!.at;
    expect(gapMs).toBeGreaterThanOrEqual(90); // 30 s asked, capped at twice the 50 ms step
    expect(gapMs).toBeLessThan(1_000);
  });

  it('delivers to a receiver that was down (port closed) once it comes up', async () => {
    const receiver = new WebhookReceiver(await freePort());
    const { api, endpoints, run } = await project(receiver);
    const id = await run();
    const down = await waitFor(async () => {
      const d = await delivery(api, endpoints[0]!.id);
      return d?.attempts >= 2 ? d : undefined;
    }, { what: 'two refused attempts' });
    expect(down.status).toBe('pending');
    expect(down.lastError).toMatch(/ECONNREFUSED/);
    await receiver.listen();
    await settled(api, endpoints[0]!.id, 'succeeded');
    expect(receiver.received.map((h) => h.json.orchestration_id)).toEqual([id]);
  });

  it('times out a receiver that never answers, records it, and keeps other endpoints flowing', async () => {
    const stuck = await new WebhookReceiver().listen();
    stuck.reply = () => 'hang';
    const fast = await new WebhookReceiver().listen();
    const { api, endpoints, run } = await project(stuck, fast);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await run()); // more than the per-endpoint concurrency (2)
    await waitFor(() => fast.received.length === 6, { what: 'all events at the fast endpoint' });
    // Everything reached the fast endpoint while the stuck one had not yet timed out once.
    expect(stuck.received.length).toBeLessThanOrEqual(2);
    const timedOut = await waitFor(async () => {
      const list = (await api.get(`/webhooks/deliveries?endpoint=${endpoints[0]!.id}`)).body.deliveries;
      return list.find((d: any) => d.attempts >= 1) ?? undefined;
    }, { what: 'a timed-out attempt' });
    expect(timedOut.lastError).toMatch(/timed out/);
    expect(timedOut.lastHttpStatus).toBeNull();
    expect(new Set(fast.received.map((h) => h.json.orchestration_id))).toEqual(new Set(ids));
  });

  it('disables an endpoint that answers 410, holding that event; later events are skipped; enable sends the held one, recover the skipped', async () => {
    const receiver = await new WebhookReceiver().listen();
    receiver.reply = () => ({ status: 410 });
    const { api, endpoints, run } = await project(receiver);
    const since = new Date(Date.now() - 1000).toISOString();
    const endpointId = endpoints[0]!.id;
    await run();
    // The event that met the 410 is held (pending) by the breaker, to be sent when the endpoint is enabled.
    const gone = await waitFor(async () => {
      const [d] = (await api.get(`/webhooks/deliveries?endpoint=${endpointId}`)).body.deliveries;
      return d?.attempts === 1 ? d : undefined;
    });
    expect(gone).toMatchObject({ status: 'pending', lastHttpStatus: 410 });
    const endpoint = (await api.get(`/webhooks/${endpointId}`)).body;
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });
    const later = await run();
    await settled(api, endpointId, 'skipped');
    expect(receiver.received).toHaveLength(1);

    receiver.reply = () => ({ status: 200 });
    expect((await api.post(`/webhooks/${endpointId}/enable`)).body.enabled).toBe(true);
    const recovered = await api.post(`/webhooks/${endpointId}/recover`, { since });
    expect(recovered).toMatchObject({ status: 202, body: { requeued: 1 } }); // the skipped one; the held one is pending
    await waitFor(() => receiver.received.some((h) => h.json.orchestration_id === later), { what: 'the skipped event' });
    await waitFor(async () => (await api.get(`/webhooks/deliveries?endpoint=${endpointId}&status=succeeded`)).body.deliveries.length === 2, { what: 'both delivered' });
  });

  it('redelivers the identical body with the same event id', async () => {
    const receiver = await new WebhookReceiver().listen();
    const { api, endpoints, run } = await project(receiver);
    await run();
    const d = await settled(api, endpoints[0]!.id, 'succeeded');
    const res = await api.post(`/webhooks/events/${d.eventId}/redeliver`, {});
    expect(res).toMatchObject({ status: 202, body: { requeued: 1 } });
    await waitFor(() => receiver.received.length === 2, { what: 'the redelivery' });
    const [first, again] = receiver.received;
    expect(again!.body).toBe(first!.body);
    expect(again!.headers['webhook-id']).toBe(d.eventId);
    expect(new Webhook(endpoints[0]!.secret).verify(again!.body, again!.headers as Record<string, string>)).toEqual(first!.json);
    const event = await waitFor(async () => {
      const e = (await api.get(`/webhooks/events/${d.eventId}`)).body;
      return e.deliveries[0].attemptLog.length === 2 ? e : undefined;
    }, { what: 'two attempts recorded' });
    expect(event.deliveries[0].status).toBe('succeeded');
  });

  it('signs with both secrets during a rotation, so receivers with either one verify', async () => {
    const receiver = await new WebhookReceiver().listen();
    const { api, endpoints, run } = await project(receiver);
    const old = endpoints[0]!.secret;
    const rotated = (await api.post(`/webhooks/${endpoints[0]!.id}/rotate-secret`)).body;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(old);
    await run();
    await waitFor(() => receiver.received.length === 1, { what: 'the event' });
    const hook = receiver.received[0]!;
    expect(String(hook.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [old, rotated.secret]) {
      expect(new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>)).toEqual(hook.json);
    }
  });

  it('sends a signed test event on request and answers with the attempt', async () => {
    const receiver = await new WebhookReceiver().listen();
    const { api, endpoints } = await project(receiver);
    const res = await api.post(`/webhooks/${endpoints[0]!.id}/test`);
    expect(res.body).toMatchObject({ succeeded: true, httpStatus: 200, error: null });
    const hook = receiver.received[0]!;
    expect(hook.json).toMatchObject({ type: 'webhook.test', endpoint_id: endpoints[0]!.id });
    expect(new Webhook(endpoints[0]!.secret).verify(hook.body, hook.headers as Record<string, string>)).toEqual(hook.json);
    await receiver.close();
    const down = await api.post(`/webhooks/${endpoints[0]!.id}/test`);
    expect(down.body).toMatchObject({ succeeded: false, httpStatus: null, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
