import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { Api, newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver, type ReceivedWebhook } from './helpers/webhook-receiver.js';

const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const unix = (rfc3339: string) => Math.floor(Date.parse(rfc3339) / 1000);

describe('webhook events', () => {
  let engine: TestEngine;
  let api: Api;
  let projectId: string;
  const receivers = { orch: [new WebhookReceiver(), new WebhookReceiver()], comp: [new WebhookReceiver(), new WebhookReceiver()] };
  const secrets = new Map<WebhookReceiver, string>();
  const services: RawService[] = [];
  let inc: RawService;
  let boom: RawService;
  let stop: RawService;

  beforeAll(async () => {
    engine = await startTestEngine({ taskMaxAttempts: 1, taskBackoffMs: 10, compensationMaxAttempts: 1, webhookRetrySchedule: '0s,50ms' });
    ({ api, projectId } = await newProject(engine.url));
    for (const [path, list] of [['/webhooks', receivers.orch], ['/compensation-failure-webhooks', receivers.comp]] as const) {
      for (const r of list) {
        await r.listen();
        const res = await api.post(path, { url: r.url });
        expect(res.status).toBe(201);
        secrets.set(r, res.body.secret);
      }
    }
    inc = await new RawService(api, {
      name: 'inc',
      revertible: true,
      onTask: (input) => ({ output: { n: input.n + 1 }, compensation: { data: { was: input.n }, ttl: 60_000 } }),
      onCompensation: () => 'inventory system unreachable',
    }).start();
    boom = await new RawService(api, { name: 'boom', onTask: () => ({ error: 'boom' }) }).start();
    stop = await new RawService(api, { name: 'stop', onTask: () => ({ abort: { reason: 'out of stock' } }) }).start();
    services.push(inc, boom, stop);
  });
  afterAll(async () => {
    for (const s of services) s.close();
    for (const r of [...receivers.orch, ...receivers.comp]) await r.close();
    await engine?.dispose();
    if (engine) rmSync(engine.dataDir, { recursive: true, force: true });
  });

  async function orchestrate(serviceIds: string[]): Promise<string> {
    const res = await api.post('/orchestrations', chainPlan(serviceIds));
    expect(res.status).toBe(202);
    return res.body.id;
  }

  /** Waits until every receiver of `list` got the event of `type` about `id`; returns one per receiver. */
  async function eventsAt(list: WebhookReceiver[], type: string, match: (j: any) => boolean): Promise<ReceivedWebhook[]> {
    return waitFor(
      () => {
        const got = list.map((r) => r.received.find((h) => h.json?.type === type && match(h.json)));
        return got.every(Boolean) ? (got as ReceivedWebhook[]) : undefined;
      },
      { what: `${type} at every endpoint` },
    );
  }

  function expectSignedAndSent(hooks: ReceivedWebhook[], list: WebhookReceiver[], type: string) {
    const ids = new Set(hooks.map((h) => h.json.event_id));
    expect(ids.size).toBe(1); // the same event id at every endpoint
    hooks.forEach((hook, i) => {
      const receiver = list[i] as WebhookReceiver;
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['user-agent']).toBe('orra/1.0');
      expect(hook.headers['x-orra-event']).toBe(type);
      expect(hook.headers['webhook-id']).toBe(hook.json.event_id);
      expect(Math.abs(Number(hook.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      const headers = hook.headers as Record<string, string>;
      expect(new Webhook(secrets.get(receiver) as string).verify(hook.body, headers)).toEqual(hook.json);
      expect(() => new Webhook(secrets.get(receiver) as string).verify(hook.body.replace('"status"', '"statuz"'), headers)).toThrow();
      // Each endpoint has its own secret.
      const other = list[(i + 1) % list.length] as WebhookReceiver;
      expect(() => new Webhook(secrets.get(other) as string).verify(hook.body, headers)).toThrow();
      expect(hook.json.timestamp).toMatch(RFC3339_SECONDS);
    });
  }

  it('sends orchestration.completed with exactly its fields, signed, to every orchestration endpoint', async () => {
    const id = await orchestrate([inc.id, inc.id]);
    const hooks = await eventsAt(receivers.orch, 'orchestration.completed', (j) => j.orchestration_id === id);
    expectSignedAndSent(hooks, receivers.orch, 'orchestration.completed');
    const body = hooks[0]?.json;
    expect(Object.keys(body).sort()).toEqual(['event_id', 'orchestration_id', 'project_id', 'results', 'status', 'timestamp', 'type']);
    expect(body).toMatchObject({ type: 'orchestration.completed', project_id: projectId, orchestration_id: id, status: 'completed', results: [{ n: 3 }] });
    expect(body.event_id).toBe(`${id}-completed-${unix(body.timestamp)}`);
    for (const r of receivers.comp) expect(r.received.filter((h) => h.json?.orchestration_id === id)).toEqual([]);
  });

  it('sends orchestration.failed with the failing task as producer, and compensation.failed to compensation endpoints', async () => {
    const id = await orchestrate([inc.id, boom.id]);
    const hooks = await eventsAt(receivers.orch, 'orchestration.failed', (j) => j.orchestration_id === id);
    expectSignedAndSent(hooks, receivers.orch, 'orchestration.failed');
    const failed = hooks[0]?.json;
    expect(Object.keys(failed).sort()).toEqual(['error', 'event_id', 'orchestration_id', 'project_id', 'status', 'timestamp', 'type']);
    expect(failed).toMatchObject({ status: 'failed', error: { producer: 'task2', error: expect.stringContaining('boom') } });
    expect(Object.keys(failed.error).sort()).toEqual(['error', 'id', 'producer']);
    expect(failed.event_id).toBe(`${id}-failed-${unix(failed.timestamp)}`);

    const comp = await eventsAt(receivers.comp, 'compensation.failed', (j) => j.orchestration_id === id);
    expectSignedAndSent(comp, receivers.comp, 'compensation.failed');
    const c = comp[0]?.json;
    expect(Object.keys(c).sort()).toEqual([
      'compensation_data', 'compensation_id', 'event_id', 'failure', 'orchestration_id', 'project_id', 'service_id',
      'service_name', 'status', 'task_id', 'timestamp', 'type',
    ]);
    expect(c).toMatchObject({
      type: 'compensation.failed',
      project_id: projectId,
      orchestration_id: id,
      task_id: 'task1',
      service_id: inc.id,
      service_name: 'inc',
      status: 'failed',
      failure: expect.stringContaining('inventory system unreachable'),
    });
    expect(c.event_id).toBe(`${c.compensation_id}-failed-${unix(c.timestamp)}`);
    expect(Object.keys(c.compensation_data).sort()).toEqual(['context', 'data', 'input', 'ttl']);
    expect(c.compensation_data).toMatchObject({ input: { n: 1 }, data: { was: 1 }, ttl: 60_000 });
    expect(Object.keys(c.compensation_data.context).sort()).toEqual(['payload', 'reason', 'timestamp']);
    expect(c.compensation_data.context).toMatchObject({ reason: 'orchestration_failed', payload: failed.error });
    expect(c.compensation_data.context.timestamp).toBe(failed.timestamp);
    for (const r of receivers.orch) expect(r.received.filter((h) => h.json?.type === 'compensation.failed')).toEqual([]);

    // A manual retry that fails again is a new event, with a new id.
    const retry = await api.post(`/compensation-failures/${c.compensation_id}/retry`);
    expect(retry.body.resolutionState).toBe('pending');
    const again = await eventsAt(receivers.comp, 'compensation.failed', (j) => j.compensation_id === c.compensation_id && j.event_id !== c.event_id);
    expectSignedAndSent(again, receivers.comp, 'compensation.failed');
    expect(again[0]?.json.event_id).toMatch(new RegExp(`^${c.compensation_id}-failed-\\d+(-\\d+)?$`));
  });

  it('sends orchestration.aborted with the abort payload as abort_reason', async () => {
    const id = await orchestrate([stop.id]);
    const hooks = await eventsAt(receivers.orch, 'orchestration.aborted', (j) => j.orchestration_id === id);
    expectSignedAndSent(hooks, receivers.orch, 'orchestration.aborted');
    const body = hooks[0]?.json;
    expect(Object.keys(body).sort()).toEqual(['abort_reason', 'event_id', 'orchestration_id', 'project_id', 'status', 'timestamp', 'type']);
    expect(body).toMatchObject({ status: 'aborted', abort_reason: { reason: 'out of stock' } });
    expect(body.event_id).toBe(`${id}-aborted-${unix(body.timestamp)}`);
  });

  it('counts events in /metrics, and the pending gauge matches the failed-compensation queue after a restart', async () => {
    const metric = async (name: string) => {
      const text = (await (await fetch(`${engine.url}/metrics`)).text()) as string;
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    expect(await metric('orra_orchestration_completions_total')).toBe(1);
    expect(await metric('orra_orchestration_failures_total')).toBe(1);
    expect(await metric('orra_orchestration_aborts_total')).toBe(1);
    expect(await metric('orra_compensation_failures_total')).toBe(2);
    expect(await metric('orra_compensation_failures_pending')).toBe(1);
    await waitFor(async () => ((await metric('orra_webhook_deliveries_total{outcome="succeeded"}')) ?? 0) >= 10, { what: 'deliveries counted' });
    expect(await metric('orra_webhook_delivery_latency_seconds_count')).toBeGreaterThanOrEqual(10);

    const dataDir = engine.dataDir;
    await engine.close();
    engine = Object.assign(await startTestEngine({}, dataDir), { dataDir });
    const fresh = new Api(engine.url, api.apiKey);
    const queue = (await fresh.get('/compensation-failures?resolution=pending')).body as unknown[];
    expect(queue).toHaveLength(1);
    expect(await metric('orra_compensation_failures_pending')).toBe(1);
    expect(await metric('orra_orchestration_completions_total')).toBe(0); // counters are per process
    const [record] = queue as { id: string }[];
    expect((await fresh.post(`/compensation-failures/${record?.id}/resolve`, { reason: 'fixed by hand' })).status).toBe(200);
    expect(await metric('orra_compensation_failures_pending')).toBe(0);
  });
});
