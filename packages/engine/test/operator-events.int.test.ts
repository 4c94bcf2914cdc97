import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

// Operator events through a real engine (SQLite, or PostgreSQL with ORRA_TEST_DATABASE=postgres): sent to
// operator endpoints, signed, in the feed, one per state change, never about an operator endpoint itself.
describe('operator events', () => {
  let engine: TestEngine;
  let api: Api;
  let projectId: string;
  const operator = new WebhookReceiver();
  let operatorSecret = '';
  const services: RawService[] = [];
  const receivers: WebhookReceiver[] = [operator];

  beforeAll(async () => {
    engine = await startTestEngine({ taskMaxAttempts: 1, compensationMaxAttempts: 1, compensationBackoffMs: 1, webhookRetrySchedule: '0s,20ms' });
    ({ api, projectId } = await newProject(engine.url));
    await operator.listen();
    const res = await api.post('/webhooks', { url: operator.url, kind: 'operator' });
    expect(res.status).toBe(201);
    expect(res.body.kind).toBe('operator');
    operatorSecret = res.body.secret;
  });
  afterAll(async () => {
    for (const s of services) s.close();
    for (const r of receivers) await r.close();
    await engine?.dispose();
  });

  async function receiver(reply: WebhookReceiver['reply'], kind = 'orchestration') {
    const r = new WebhookReceiver();
    r.reply = reply;
    await r.listen();
    receivers.push(r);
    const res = await api.post('/webhooks', { url: r.url, kind });
    expect(res.status).toBe(201);
    return { receiver: r, id: res.body.id as string };
  }

  async function service(name: string, opts: Partial<ConstructorParameters<typeof RawService>[1]> = {}) {
    const s = await new RawService(api, { name, onTask: (input) => ({ output: { n: input.n + 1 } }), ...opts }).start();
    services.push(s);
    return s;
  }

  const operatorEvents = (type: string) => operator.received.filter((h) => h.json?.type === type);
  const feed = async (type: string) => (await api.get(`/events?type=${type}&limit=500`)).body.data as any[];

  it('accepts kind "operator" on POST /webhooks and lists it; refuses an unknown kind', async () => {
    const listed = (await api.get('/webhooks?kind=operator')).body;
    expect(listed.map((e: any) => e.url)).toEqual([operator.url]);
    const bad = await api.post('/webhooks', { url: 'http://127.0.0.1:9/x', kind: 'pager' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('kind');
    expect((await api.get('/webhooks?kind=operator')).body).toHaveLength(1);
  });

  it('sends webhook.endpoint.disabled on a 410 and webhook.endpoint.enabled on enable, once each, signed, with links, and logs them', async () => {
    // Gone once: after the enable the held event is sent again, and is taken this time.
    const { id } = await receiver((_, n) => (n === 1 ? { status: 410, body: 'gone' } : { status: 200 }));
    const inc = await service('inc');
    await api.post('/orchestrations', chainPlan([inc.id]));
    const [disabled] = await waitFor(() => (operatorEvents('webhook.endpoint.disabled').length > 0 ? operatorEvents('webhook.endpoint.disabled') : undefined));
    expect(disabled!.json).toMatchObject({
      type: 'webhook.endpoint.disabled',
      project_id: projectId,
      endpoint_id: id,
      trigger: 'gone_410',
      links: { api: `/webhooks/${id}`, cli: 'orra webhooks ls' },
    });
    expect(new Webhook(operatorSecret).verify(disabled!.body, disabled!.headers as Record<string, string>)).toEqual(disabled!.json);
    expect((await api.post(`/webhooks/${id}/enable`)).status).toBe(200);
    expect((await api.post(`/webhooks/${id}/enable`)).status).toBe(200); // already enabled: no second event
    await waitFor(() => operatorEvents('webhook.endpoint.enabled').length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(operatorEvents('webhook.endpoint.enabled').map((h) => h.json)).toEqual([
      expect.objectContaining({ endpoint_id: id, trigger: 'operator' }),
    ]);
    const logged = await feed('webhook.endpoint.disabled,webhook.endpoint.enabled');
    expect(logged.map((e) => [e.type, e.subject])).toEqual([
      ['webhook.endpoint.disabled', id],
      ['webhook.endpoint.enabled', id],
    ]);
    expect(logged[0].data).toEqual(disabled!.json);
    expect(operatorEvents('webhook.endpoint.disabled')).toHaveLength(1);
    await api.delete(`/webhooks/${id}`);
  });

  it('sends webhook.delivery.exhausted once when a delivery uses its whole schedule; an operator endpoint\'s own failures make none', async () => {
    // An operator endpoint that always fails (and one that answers 410): their troubles are logged only.
    const broken = await receiver(() => ({ status: 500, body: 'down' }), 'operator');
    const gone = await receiver(() => ({ status: 410, body: 'gone' }), 'operator');
    const failing = await receiver(() => ({ status: 500, body: 'always down' }));
    const inc = await service('inc2');
    const res = await api.post('/orchestrations', chainPlan([inc.id]));
    const exhausted = await waitFor(() => {
      const list = operatorEvents('webhook.delivery.exhausted');
      return list.length > 0 ? list : undefined;
    });
    expect(exhausted[0]!.json).toMatchObject({
      endpoint_id: failing.id,
      delivery_event_type: 'orchestration.completed',
      attempts: 2,
      last_http_status: 500,
      links: { api: expect.stringMatching(new RegExp(`^/webhooks/events/${res.body.id}-completed-`)), cli: expect.stringMatching(/^orra webhooks inspect o_/) },
    });
    // The broken operator endpoint got (and failed) the exhausted event too, and the gone one was disabled.
    await waitFor(() => broken.receiver.received.length >= 2 && gone.receiver.received.length >= 1);
    await waitFor(async () => (await api.get(`/webhooks/${gone.id}`)).body.enabled === false, { what: 'the gone operator endpoint to be disabled' });
    await new Promise((r) => setTimeout(r, 500));
    const logged = await feed('webhook.delivery.exhausted,webhook.endpoint.disabled');
    const about = (e: any) => e.data.endpoint_id;
    expect(logged.filter((e) => e.type === 'webhook.delivery.exhausted').map(about)).toEqual([failing.id]);
    expect(logged.filter((e) => [broken.id, gone.id].includes(about(e)))).toEqual([]);
    expect(operatorEvents('webhook.delivery.exhausted')).toHaveLength(1);
    for (const r of [broken, gone, failing]) await api.delete(`/webhooks/${r.id}`);
  });

  it('sends compensation.resolved and compensation.ignored with the reason and the CLI command to inspect it', async () => {
    const step = await service('step', {
      revertible: true,
      onTask: (input) => ({ output: { n: input.n + 1 }, compensation: { data: {}, ttl: 60_000 } }),
      onCompensation: () => 'refund API down',
    });
    const boom = await service('boom', { onTask: () => ({ error: 'boom' }) });
    const failures: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await api.post('/orchestrations', chainPlan([step.id, boom.id]));
      const [failure] = await waitFor(async () => {
        const list = (await api.get(`/compensation-failures?resolution=pending&orchestration=${res.body.id}`)).body;
        return list.length > 0 ? list : undefined;
      });
      failures.push(failure.id);
    }
    expect((await api.post(`/compensation-failures/${failures[0]}/resolve`, { reason: 'refunded by hand' })).status).toBe(200);
    expect((await api.post(`/compensation-failures/${failures[1]}/ignore`, { reason: 'test order' })).status).toBe(200);
    await waitFor(() => operatorEvents('compensation.resolved').length + operatorEvents('compensation.ignored').length >= 2);
    expect(operatorEvents('compensation.resolved')[0]!.json).toMatchObject({
      compensation_id: failures[0],
      reason: 'refunded by hand',
      links: { api: `/compensation-failures/${failures[0]}`, cli: `orra comp-fail inspect ${failures[0]}` },
    });
    expect(operatorEvents('compensation.ignored')[0]!.json).toMatchObject({ compensation_id: failures[1], reason: 'test order' });
    const logged = await feed('compensation.resolved,compensation.ignored');
    expect(logged.map((e) => e.subject)).toEqual(failures);
    // The feed's orchestration filter finds them with the orchestration's other events.
    const orchestrationId = logged[0].data.orchestration_id;
    const ofOrchestration = (await api.get(`/events?orchestration_id=${orchestrationId}`)).body.data.map((e: any) => e.type);
    expect(ofOrchestration).toEqual(['orchestration.failed', 'compensation.failed', 'compensation.resolved']);
  });

  it('sends compensation.resolved when an operator\'s retry of a failed compensation succeeds, once', async () => {
    let isRefundUp = false;
    const step = await service('step-retry', {
      revertible: true,
      onTask: (input) => ({ output: { n: input.n + 1 }, compensation: { data: {}, ttl: 60_000 } }),
      onCompensation: () => (isRefundUp ? true : 'refund API down'),
    });
    const boom = await service('boom-retry', { onTask: () => ({ error: 'boom' }) });
    const res = await api.post('/orchestrations', chainPlan([step.id, boom.id]));
    const [failure] = await waitFor(async () => {
      const list = (await api.get(`/compensation-failures?resolution=pending&orchestration=${res.body.id}`)).body;
      return list.length > 0 ? list : undefined;
    });
    const resolvedBefore = operatorEvents('compensation.resolved').length;
    isRefundUp = true;
    const retried = await api.post(`/compensation-failures/${failure.id}/retry`);
    expect(retried.status).toBe(200);
    const mine = () => operatorEvents('compensation.resolved').filter((h) => h.json.compensation_id === failure.id);
    await waitFor(() => mine().length > 0, { what: 'compensation.resolved after the retry' });
    expect(mine()[0]!.json).toMatchObject({
      compensation_id: failure.id,
      orchestration_id: res.body.id,
      reason: expect.stringContaining('retried successfully'),
      by_key: expect.any(String),
      links: { cli: `orra comp-fail inspect ${failure.id}` },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(mine()).toHaveLength(1);
    expect(operatorEvents('compensation.resolved').length).toBe(resolvedBefore + 1);
    const logged = (await api.get(`/events?orchestration_id=${res.body.id}`)).body.data.map((e: any) => e.type);
    expect(logged).toEqual(['orchestration.failed', 'compensation.failed', 'compensation.resolved']);
  });
});
