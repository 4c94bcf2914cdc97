import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@orra/protocol';
import { Api, newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver, type ReceivedWebhook } from './helpers/webhook-receiver.js';

/**
 * The default schedules divided by 1000: a "scaled clock" where one real millisecond stands for one second.
 * Probes: 10 s, 30 s, 1 m, 2 m, 5 m, 10 m, 20 m, 30 m, then hourly → 10 ms … 3.6 s. Retries likewise.
 */
const SCALE = 1000;
const PROBES_SCALED = '10ms,30ms,60ms,120ms,300ms,600ms,1200ms,1800ms,3600ms';
const RETRIES_SCALED = '0s,5ms,300ms,1800ms,7200ms,18s,36s,36s';
const TWO_HOURS_SCALED_MS = (2 * 3_600_000) / SCALE;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The endpoint circuit breaker through a real engine and real HTTP receivers (SQLite, or PostgreSQL with
// ORRA_TEST_DATABASE=postgres).
describe('webhook endpoint circuit breaker', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(overrides: Record<string, unknown> = {}) {
    const engine: TestEngine = await startTestEngine({
      webhookProbeSchedule: PROBES_SCALED,
      webhookRetrySchedule: RETRIES_SCALED,
      ...overrides,
    });
    cleanup.push(() => engine.dispose());
    const { api, apiKey } = await newProject(engine.url);
    const operator = await receiver(() => ({ status: 200 }));
    expect((await api.post('/webhooks', { url: operator.url, kind: 'operator' })).status).toBe(201);
    const inc = await new RawService(api, {
      name: 'inc',
      onTask: (input) => ({ output: { n: input.n + 1 } }),
    }).start();
    cleanup.push(() => inc.close());
    const run = async (n: number) => {
      const ids: string[] = [];
      // One at a time, so the events' sequences follow the order asked.
      for (let i = 0; i < n; i++) {
        const res = await api.post('/orchestrations', chainPlan([inc.id]));
        expect(res.status).toBe(202);
        ids.push(res.body.id);
        await waitFor(async () =>
          ['completed'].includes((await api.get(`/orchestrations/${res.body.id}`)).body.status),
        );
      }
      return ids;
    };
    const operatorEvents = (type: string) => operator.received.filter((h) => h.json?.type === type);
    return { engine, api, apiKey, operator, run, operatorEvents };
  }

  async function receiver(reply: WebhookReceiver['reply']) {
    const r = new WebhookReceiver();
    r.reply = reply;
    await r.listen();
    cleanup.push(() => r.close());
    return r;
  }

  async function addEndpoint(api: Api, r: WebhookReceiver) {
    const res = await api.post('/webhooks', { url: r.url });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  const endpointOf = async (api: Api, id: string) =>
    (await api.get('/webhooks')).body.find((e: any) => e.id === id);
  const eventIdOf = (h: ReceivedWebhook) => h.headers['webhook-id'] as string;
  const sequenceOf = (h: ReceivedWebhook) => Number(h.headers['x-orra-sequence']);

  it('holds events through a 2-hour outage (scaled 1:1000): only probes are sent, nothing is used up, all arrive in order on recovery, one failing and one recovered event', async () => {
    const { api, run, operatorEvents } = await setup({ webhookMaxConcurrencyPerEndpoint: 1 });
    let isDown = true;
    const r = await receiver(() => (isDown ? { status: 503, body: 'down' } : { status: 200 }));
    const id = await addEndpoint(api, r);
    const EVENTS = 8;
    await run(EVENTS);
    const [failing] = await waitFor(() =>
      operatorEvents('webhook.endpoint.failing').length > 0
        ? operatorEvents('webhook.endpoint.failing')
        : undefined,
    );
    const trippedAt = failing!.at;
    const beforeTrip = r.received.filter((h) => h.at < trippedAt).length;
    expect(failing!.json).toMatchObject({
      type: 'webhook.endpoint.failing',
      endpoint_id: id,
      links: { api: `/webhooks/${id}`, cli: 'orra webhooks ls' },
    });
    // The API shows the breaker: failing, since when, and every undelivered event held.
    const during = await endpointOf(api, id);
    expect(during).toMatchObject({ state: expect.stringMatching(/^(failing|probing)$/), heldEvents: EVENTS });
    expect(Date.parse(during.stateSince)).toBeGreaterThan(0);

    // Two hours, scaled.
    await sleep(TWO_HOURS_SCALED_MS);
    const probes = r.received.filter((h) => h.at >= trippedAt);
    // The default schedule makes 8 probes in two hours (9 with the jitter at its lowest); at most 12.
    expect(probes.length).toBeGreaterThanOrEqual(6);
    expect(probes.length).toBeLessThanOrEqual(12);
    // Every probe is a real delivery: the oldest held event, never a synthetic ping.
    const firstSequence = Math.min(...r.received.map(sequenceOf));
    expect(new Set(probes.map(sequenceOf))).toEqual(new Set([firstSequence]));
    // No event's attempts were used up: nothing failed, nothing exhausted.
    const held = (await api.get(`/webhooks/deliveries?endpoint=${id}`)).body.deliveries;
    expect(held.map((d: any) => d.status)).toEqual(Array(EVENTS).fill('pending'));
    expect(operatorEvents('webhook.delivery.exhausted')).toEqual([]);

    // A probe can arrive (and fail) while the checks above wait for the API: count the failed ones when the
    // receiver comes back, in the same tick (the receiver answers in this process).
    const failedProbes = r.received.filter((h) => h.at >= trippedAt).length;
    isDown = false;
    const received = await waitFor(
      () => {
        const ok = r.received.filter((h) => h.at >= trippedAt && (h.json ? true : false));
        const delivered = new Set(ok.map(eventIdOf));
        return delivered.size === EVENTS && operatorEvents('webhook.endpoint.recovered').length === 1
          ? ok
          : undefined;
      },
      { timeoutMs: 15_000, what: 'every held event delivered' },
    );
    // In order: after the probes, each held event arrives once, in sequence order.
    const drained = received.slice(failedProbes);
    const successes = drained.map(sequenceOf);
    expect(successes).toEqual([...successes].sort((a, b) => a - b));
    await waitFor(
      async () =>
        (await api.get(`/webhooks/deliveries?endpoint=${id}&status=succeeded`)).body.deliveries.length ===
        EVENTS,
    );
    // Attempts: the pre-trip ones, the failed probes (all on one event) and one success each (the last probe
    // is the oldest event's success): nothing else was sent, and no event was used up.
    const deliveries = (await api.get(`/webhooks/deliveries?endpoint=${id}`)).body.deliveries;
    const total = deliveries.reduce((n: number, d: any) => n + d.attempts, 0);
    expect(total).toBe(beforeTrip + failedProbes + EVENTS);
    await sleep(300);
    expect(operatorEvents('webhook.endpoint.failing')).toHaveLength(1);
    const [recovered] = operatorEvents('webhook.endpoint.recovered');
    expect(recovered!.json).toMatchObject({
      endpoint_id: id,
      failing_since: failing!.json.failing_since,
      links: { api: `/webhooks/${id}` },
    });
    expect(recovered!.json.outage_ms).toBeGreaterThanOrEqual(TWO_HOURS_SCALED_MS - 100);
    expect(await endpointOf(api, id)).toMatchObject({ state: 'active', heldEvents: 0 });
    // Both are in the feed.
    const feed = (await api.get('/events?type=webhook.endpoint.failing,webhook.endpoint.recovered')).body
      .data;
    expect(feed.map((e: any) => e.type)).toEqual(['webhook.endpoint.failing', 'webhook.endpoint.recovered']);
    // Metrics: the state gauge, the held gauge and the transitions counter.
    const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/orra_webhook_endpoints\{state="active"\} [1-9]/);
    expect(metrics).toMatch(/orra_webhook_held_events\{state="failing"\} 0/);
    expect(metrics).toMatch(/orra_webhook_endpoint_transitions_total\{from="active",to="failing"\} 1/);
    expect(metrics).toMatch(/orra_webhook_endpoint_transitions_total\{from="probing",to="active"\} 1/);
  }, 40_000);

  it('does not trip on failures of one event alone, nor on 4xx answers (they count against the event)', async () => {
    const { api, run, operatorEvents } = await setup({ webhookRetrySchedule: '0s,5ms,5ms,5ms,5ms,5ms,5ms' });
    // Event 1 always 500 (7 attempts, one event: no trip); the rest answer 400 (about the event, not the endpoint).
    let first: string | undefined;
    const r = await receiver((h) => {
      first ??= eventIdOf(h);
      return eventIdOf(h) === first ? { status: 500 } : { status: 400, body: 'bad payload' };
    });
    const id = await addEndpoint(api, r);
    await run(1);
    await waitFor(() => operatorEvents('webhook.delivery.exhausted').length === 1, {
      what: 'the first event exhausted',
    });
    await run(3);
    await waitFor(() => operatorEvents('webhook.delivery.exhausted').length === 4, {
      what: 'each 400 event exhausted on its own',
    });
    expect(r.received).toHaveLength(28);
    expect(operatorEvents('webhook.endpoint.failing')).toEqual([]);
    expect(await endpointOf(api, id)).toMatchObject({ state: 'active' });
  });

  it('waits out a 429 for its Retry-After without counting it as a failure or using up the event', async () => {
    const { api, run, operatorEvents } = await setup({ webhookRetrySchedule: '0s,5ms' });
    let n = 0;
    const r = await receiver(() =>
      ++n <= 6 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const id = await addEndpoint(api, r);
    await run(2);
    await waitFor(async () => (await endpointOf(api, id)).throttledUntil, {
      what: 'the endpoint to show its Retry-After',
    });
    expect(await endpointOf(api, id)).toMatchObject({ state: 'active' });
    // Six 429s over two events with a two-attempt schedule: none exhausted, no trip; each waited ~1 s.
    await waitFor(
      async () =>
        (await api.get(`/webhooks/deliveries?endpoint=${id}&status=succeeded`)).body.deliveries.length === 2,
      { timeoutMs: 15_000 },
    );
    expect(r.received.length).toBe(8);
    const gaps = r.received.slice(1).map((h, i) => h.at - r.received[i]!.at);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(900);
    expect(operatorEvents('webhook.endpoint.failing')).toEqual([]);
    expect(operatorEvents('webhook.delivery.exhausted')).toEqual([]);
  }, 20_000);

  it('pauses and resumes an endpoint: held while paused (no attempts), delivered in order on resume; audited', async () => {
    const { api, run } = await setup();
    const r = await receiver(() => ({ status: 200 }));
    const id = await addEndpoint(api, r);
    const paused = await api.post(`/webhooks/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id, state: 'paused', heldEvents: 0 });
    expect((await api.post(`/webhooks/${id}/pause`)).body.state).toBe('paused'); // again: no change
    await run(3);
    await sleep(300);
    expect(r.received).toEqual([]);
    expect(await endpointOf(api, id)).toMatchObject({ state: 'paused', heldEvents: 3 });
    const resumed = await api.post(`/webhooks/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.state).toBe('active');
    await waitFor(() => r.received.length === 3);
    expect(r.received.map(sequenceOf)).toEqual([...r.received.map(sequenceOf)].sort((a, b) => a - b));
    const audit = (await api.get(`/audit?item=${id}`)).body.entries.map((e: any) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['webhook.pause', 'webhook.resume']));
    // Counted once each, though paused twice (the second was no change).
    const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/orra_webhook_endpoint_transitions_total\{from="active",to="paused"\} 1\n/);
    expect(metrics).toMatch(/orra_webhook_endpoint_transitions_total\{from="paused",to="active"\} 1\n/);
  });

  it('answers bad pause/resume requests with a clear 4xx and changes nothing', async () => {
    const { engine, api } = await setup();
    const r = await receiver(() => ({ status: 200 }));
    const id = await addEndpoint(api, r);
    for (const action of ['pause', 'resume']) {
      const res = await api.post(`/webhooks/wh_doesnotexist/${action}`);
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain('wh_doesnotexist');
    }
    const readKey = (await api.post('/apikeys', { role: 'read' })).body.apiKey as string;
    const read = new Api(engine.url, readKey);
    const refused = await read.post(`/webhooks/${id}/pause`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe(ERROR_CODES.READ_ONLY_KEY);
    expect(await endpointOf(api, id)).toMatchObject({ state: 'active' });
    const badEnable = await api.post(`/webhooks/${id}/enable`, { discard_held: 'yes' });
    expect(badEnable.status).toBe(400);
    expect(badEnable.body.error.param).toBe('discard_held');
    const audit = (await api.get(`/audit?item=${id}`)).body.entries.map((e: any) => e.action);
    expect(audit).not.toContain('webhook.pause');
  });

  it('disables an endpoint failing longer than the limit; held events stay and are delivered on enable', async () => {
    const { api, run, operatorEvents } = await setup({
      webhookFailingDisableAfterMs: 200,
      webhookMaxConcurrencyPerEndpoint: 1,
    });
    let isDown = true;
    const r = await receiver(() => (isDown ? { status: 502 } : { status: 200 }));
    const id = await addEndpoint(api, r);
    await run(4);
    await waitFor(() => operatorEvents('webhook.endpoint.disabled').length === 1, {
      what: 'disabled after failing too long',
    });
    expect(operatorEvents('webhook.endpoint.disabled')[0]!.json).toMatchObject({
      endpoint_id: id,
      trigger: 'failing',
    });
    const endpoint = await endpointOf(api, id);
    expect(endpoint).toMatchObject({ state: 'disabled', enabled: false, heldEvents: 4 });
    const attempts = r.received.length;
    await sleep(300);
    expect(r.received.length).toBe(attempts); // nothing sent while disabled
    isDown = false;
    expect((await api.post(`/webhooks/${id}/enable`)).body.state).toBe('active');
    await waitFor(
      async () =>
        (await api.get(`/webhooks/deliveries?endpoint=${id}&status=succeeded`)).body.deliveries.length === 4,
    );
    expect(operatorEvents('webhook.delivery.exhausted')).toEqual([]);
  });

  it('holds the event that met a 410 and sends it on enable, or discards it when asked', async () => {
    const { api, run, operatorEvents } = await setup();
    let status = 410;
    const r = await receiver(() => ({ status }));
    const id = await addEndpoint(api, r);
    await run(1);
    await waitFor(async () => (await endpointOf(api, id))?.state === 'disabled');
    expect(await endpointOf(api, id)).toMatchObject({ heldEvents: 1 });
    expect(
      (await api.get(`/webhooks/deliveries?endpoint=${id}`)).body.deliveries.map((d: any) => d.status),
    ).toEqual(['pending']);
    status = 200;
    await api.post(`/webhooks/${id}/enable`);
    await waitFor(
      async () =>
        (await api.get(`/webhooks/deliveries?endpoint=${id}&status=succeeded`)).body.deliveries.length === 1,
    );
    // Again, discarding what is held this time.
    status = 410;
    await run(1);
    await waitFor(async () => (await endpointOf(api, id))?.state === 'disabled');
    status = 200;
    expect((await api.post(`/webhooks/${id}/enable`, { discard_held: true })).body).toMatchObject({
      state: 'active',
      heldEvents: 0,
    });
    expect(
      (await api.get(`/webhooks/deliveries?endpoint=${id}&status=skipped`)).body.deliveries,
    ).toHaveLength(1);
    await sleep(200);
    expect(r.received).toHaveLength(3);
    expect(operatorEvents('webhook.endpoint.disabled').map((h) => h.json.trigger)).toEqual([
      'gone_410',
      'gone_410',
    ]);
  });

  it("makes no operator events of an operator endpoint's own breaker", async () => {
    const { api, run, operatorEvents } = await setup({ webhookMaxConcurrencyPerEndpoint: 1 });
    const brokenOperator = await receiver(() => ({ status: 503 }));
    const opId = (await api.post('/webhooks', { url: brokenOperator.url, kind: 'operator' })).body
      .id as string;
    // Two orchestration endpoints that fail trip (their failing events go to both operator endpoints); the
    // broken operator endpoint then fails on those two events until it trips, and that makes no event.
    for (let i = 0; i < 2; i++) await addEndpoint(api, await receiver(() => ({ status: 503 })));
    await run(6);
    await waitFor(() => operatorEvents('webhook.endpoint.failing').length === 2);
    await waitFor(async () => ['failing', 'probing'].includes((await endpointOf(api, opId)).state), {
      what: 'the operator endpoint to trip',
    });
    await sleep(300);
    expect(operatorEvents('webhook.endpoint.failing')).toHaveLength(2);
    expect(operatorEvents('webhook.endpoint.failing').map((h) => h.json.endpoint_id)).not.toContain(opId);
    const feed = (await api.get('/events?type=webhook.endpoint.failing,webhook.endpoint.recovered')).body
      .data;
    expect(feed).toHaveLength(2);
    expect(feed.map((e: any) => e.data.endpoint_id)).not.toContain(opId);
  });
});
