import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const EVENTS = 300;

describe('webhook durability', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orra-webhook-crash-'));
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** An engine process on its own port with one endpoint at `url` and a one-task service; killed at the end. */
  async function engineWithEndpoint(dir: string, env: Record<string, string>, url: string) {
    const port = await freePort();
    const engine = await new EngineProcess(port, dir, env).start();
    cleanup.push(() => engine.kill());
    const { api } = await newProject(engine.url);
    expect((await api.post('/webhooks', { url })).status).toBe(201);
    const service = await new RawService(api, {
      name: 'inc',
      onTask: (input) => ({ output: { n: input.n + 1 } }),
    }).start();
    cleanup.push(() => service.close());
    return { port, engine, api, service };
  }

  it('delivers every event after a SIGKILL with hundreds undelivered (receiver down, then up), each with its sequence unchanged', async () => {
    // The receiver being down trips the endpoint's breaker: probes come on a short schedule here.
    const env = {
      ORRA_WEBHOOK_RETRY_SCHEDULE: '0s,200ms,400ms,800ms,1s,2s,5s,10s,30s',
      ORRA_WEBHOOK_PROBE_SCHEDULE: '200ms,400ms,1s',
    };
    const receiver = new WebhookReceiver(await freePort()); // not listening: the port is closed
    cleanup.push(() => receiver.close());
    const setUp = await engineWithEndpoint(dataDir, env, receiver.url);
    const { port, api, service } = setUp;
    let engine = setUp.engine;

    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const res = await api.post('/orchestrations', chainPlan([service.id], i));
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    // Every orchestration has finished, so every event is in the outbox, none delivered.
    await waitFor(
      async () => {
        const page = (await api.get('/webhooks/deliveries?status=pending&limit=500')).body.deliveries;
        return page.length === EVENTS;
      },
      { what: `${EVENTS} pending deliveries`, timeoutMs: 30_000 },
    );
    // Each event's place in the log, as committed before the crash: 1…EVENTS.
    const feed: any[] = [];
    for (let after = '0'; feed.length < EVENTS;) {
      const page = (await api.get(`/events?after=${after}&limit=500&type=orchestration.completed`)).body;
      if (page.data.length === 0) break;
      feed.push(...page.data);
      after = page.next_cursor;
    }
    // In order; the endpoint's webhook.endpoint.failing operator event takes one number among them.
    const sequences = feed.map((e) => Number(e.sequence));
    expect(feed.map((e) => e.subject).sort()).toEqual([...ids].sort());
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(sequences[sequences.length - 1]).toBeLessThanOrEqual(EVENTS + 1);
    const sequenceOf = new Map(feed.map((e) => [e.id as string, e.sequence as string]));

    // The receiver being down trips the endpoint's breaker before the crash: its events are held.
    await waitFor(
      async () => (await api.get('/events?type=webhook.endpoint.failing')).body.data.length === 1,
      {
        what: 'the breaker to trip',
        timeoutMs: 30_000,
      },
    );
    await engine.kill();
    service.close();
    engine = await new EngineProcess(port, dataDir, env).start();
    cleanup.push(() => engine.kill());
    await receiver.listen();

    await waitFor(() => new Set(receiver.received.map((h) => h.headers['webhook-id'])).size >= EVENTS, {
      what: 'every event at the receiver',
      timeoutMs: 30_000,
    });
    const received = new Map(receiver.received.map((h) => [h.json.orchestration_id as string, h.json]));
    const missing = ids.filter((id) => !received.has(id));
    expect(missing).toEqual([]);
    for (const h of receiver.received) expect(h.headers['webhook-id']).toBe(h.json.event_id);
    // The restart changed no event's sequence: the webhook carries the number the feed showed before it.
    for (const h of receiver.received)
      expect(h.headers['x-orra-sequence']).toBe(sequenceOf.get(h.json.event_id));
    // The log holds the events and the outage: one webhook.endpoint.failing, one webhook.endpoint.recovered.
    expect((await api.get('/events?limit=1')).body.head_cursor).toBe(String(EVENTS + 2).padStart(20, '0'));
    const outage = (await api.get('/events?type=webhook.endpoint.failing,webhook.endpoint.recovered')).body
      .data;
    expect(outage.map((e: any) => e.type)).toEqual([
      'webhook.endpoint.failing',
      'webhook.endpoint.recovered',
    ]);
    await waitFor(
      async () => {
        const page = (await api.get('/webhooks/deliveries?status=succeeded&limit=500')).body.deliveries;
        return page.length === EVENTS;
      },
      { what: 'every delivery succeeded' },
    );
  });

  it('a probe that was out when the engine was killed does not hold the endpoint after a restart', async () => {
    // A 60 s request timeout makes the probe's lease 90 s: without ending it at start-up, nothing would be
    // sent for that long after the restart.
    const env = {
      ORRA_WEBHOOK_TIMEOUT_MS: '60000',
      ORRA_WEBHOOK_PROBE_SCHEDULE: '200ms',
      ORRA_WEBHOOK_RETRY_SCHEDULE: '0s,100ms,200ms,300ms,400ms,500ms',
    };
    const dir = mkdtempSync(join(tmpdir(), 'orra-webhook-probe-crash-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // Down (503) until the breaker trips, then the probe hangs: it is out when the engine is killed.
    let mode: 'down' | 'hang' | 'up' = 'down';
    const receiver = new WebhookReceiver();
    const delivered = new Set<string>();
    receiver.reply = (hook) => {
      if (mode === 'down') return { status: 503 };
      if (mode === 'hang') return 'hang';
      delivered.add(hook.json.orchestration_id as string);
      return { status: 200 };
    };
    await receiver.listen();
    cleanup.push(() => receiver.close());
    const setUp = await engineWithEndpoint(dir, env, receiver.url);
    const { port, api, service } = setUp;
    let engine = setUp.engine;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await api.post('/orchestrations', chainPlan([service.id], i))).body.id);
    await waitFor(
      async () => (await api.get('/events?type=webhook.endpoint.failing')).body.data.length === 1,
      {
        what: 'the breaker to trip',
      },
    );
    mode = 'hang';
    const before = receiver.received.length;
    await waitFor(() => receiver.received.length > before, { what: 'a probe to be out' });
    await engine.kill();
    service.close();
    mode = 'up';
    engine = await new EngineProcess(port, dir, env).start();
    cleanup.push(() => engine.kill());
    await waitFor(() => ids.every((id) => delivered.has(id)), {
      what: 'every event delivered after the restart, well within the 90 s lease',
      timeoutMs: 20_000,
    });
  });
});
