import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

describe('webhook endpoints API', () => {
  let engine: TestEngine;
  let api: Api;
  let other: Api;

  beforeAll(async () => {
    engine = await startTestEngine({ metricsToken: 'metrics-secret-token' });
    ({ api } = await newProject(engine.url));
    ({ api: other } = await newProject(engine.url, 'other'));
  });
  afterAll(() => engine.dispose());

  it('adds endpoints of both kinds with a secret, lists them without it, and shows it by id', async () => {
    const a = await api.post('/webhooks', { url: 'http://127.0.0.1:9/orchestrations' });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ url: 'http://127.0.0.1:9/orchestrations', kind: 'orchestration', enabled: true, id: expect.stringMatching(/^wh_/) });
    expect(Buffer.from(a.body.secret.replace(/^whsec_/, ''), 'base64').length).toBeGreaterThanOrEqual(24);
    const c = await api.post('/compensation-failure-webhooks', { url: 'https://example.invalid/comp' });
    expect(c.body).toMatchObject({ kind: 'compensation_failure' });
    const list = (await api.get('/webhooks')).body;
    expect(list.map((e: any) => e.id)).toEqual([a.body.id, c.body.id]);
    expect(list.every((e: any) => e.secret === undefined)).toBe(true);
    expect((await api.get('/webhooks?kind=compensation_failure')).body.map((e: any) => e.id)).toEqual([c.body.id]);
    expect((await api.get(`/webhooks/${a.body.id}`)).body.secret).toBe(a.body.secret);
    // The same URL is fine for the other kind, but not twice for one kind.
    expect((await api.post('/compensation-failure-webhooks', { url: 'http://127.0.0.1:9/orchestrations' })).status).toBe(201);
    const dup = await api.post('/webhooks', { url: 'http://127.0.0.1:9/orchestrations' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toMatch(/already/);
    expect((await api.delete(`/webhooks/${a.body.id}`)).status).toBe(204);
    expect((await api.get(`/webhooks/${a.body.id}`)).status).toBe(404);
    expect((await api.post('/webhooks', { url: 'http://127.0.0.1:9/orchestrations' })).status).toBe(201);
  });

  it('answers bad input with a clear 4xx and changes nothing', async () => {
    const before = (await api.get('/webhooks')).body;
    const cases: [string, unknown, number, RegExp][] = [
      ['/webhooks', { url: 'not a url' }, 400, /url: .*not an absolute URL/],
      ['/webhooks', { url: 'ftp://example.com/x' }, 400, /only http and https/],
      ['/webhooks', {}, 400, /url: a webhook URL is required/],
      ['/webhooks', { url: 42 }, 400, /url: must be a string/],
      ['/webhooks', { url: 'http://169.254.169.254/latest/meta-data' }, 400, /link-local or cloud-metadata/],
      ['/webhooks', { url: 'http://user:pw@example.com/x' }, 400, /credentials/],
      ['/compensation-failure-webhooks', { url: 'javascript:alert(1)' }, 400, /only http and https/],
      ['/webhooks', [1, 2], 400, /JSON object/],
    ];
    for (const [path, body, status, message] of cases) {
      const res = await api.post(path, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    const mine = (await api.post('/webhooks', { url: 'http://127.0.0.1:9/mine' })).body.id as string;
    const after = (await api.get('/webhooks')).body;
    expect(after.length).toBe(before.length + 1);

    // Unknown ids and other projects' ids are not found, for every route.
    for (const id of ['wh_doesnotexist', mine]) {
      const caller = id === mine ? other : api;
      expect((await caller.get(`/webhooks/${id}`)).status).toBe(404);
      expect((await caller.delete(`/webhooks/${id}`)).status).toBe(404);
      expect((await caller.post(`/webhooks/${id}/enable`)).status).toBe(404);
      expect((await caller.post(`/webhooks/${id}/rotate-secret`)).status).toBe(404);
      expect((await caller.post(`/webhooks/${id}/test`)).status).toBe(404);
      expect((await caller.post(`/webhooks/${id}/recover`, { since: '2020-01-01T00:00:00Z' })).status).toBe(404);
    }
    expect((await api.get(`/webhooks/${mine}`)).body.secret).toBeDefined(); // still there, unchanged
    expect((await api.post(`/webhooks/${mine}/recover`, { since: 'yesterday' })).status).toBe(400);
    expect((await api.post(`/webhooks/${mine}/recover`, {})).body.error.param).toBe('since');
    expect((await api.get('/webhooks/events/nope')).status).toBe(404);
    expect((await api.post('/webhooks/events/nope/redeliver')).status).toBe(404);
    expect((await api.get('/webhooks?kind=everything')).status).toBe(400);
    expect((await api.get('/webhooks/deliveries?status=lost')).status).toBe(400);
    expect((await api.get('/webhooks/deliveries?limit=0')).status).toBe(400);
    expect((await api.get('/webhooks/deliveries?type=orchestration.exploded')).status).toBe(400);
    expect((await new Api(engine.url).get('/webhooks')).status).toBe(401);
    expect((await api.get('/webhooks')).body).toEqual(after);
  });

  it('turns the URLs of a project registration into endpoints, validated the same way', async () => {
    const res = await new Api(engine.url).post('/register/project', {
      name: 'with-hooks',
      webhooks: ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/a'],
      compensationFailureWebhooks: ['http://127.0.0.1:9/c'],
    });
    expect(res.status).toBe(201);
    expect(res.body.webhooks).toEqual(['http://127.0.0.1:9/a', 'http://127.0.0.1:9/a']); // echoed as orra does
    const list = (await new Api(engine.url, res.body.apiKey).get('/webhooks')).body;
    expect(list.map((e: any) => [e.kind, e.url])).toEqual([
      ['orchestration', 'http://127.0.0.1:9/a'],
      ['compensation_failure', 'http://127.0.0.1:9/c'],
    ]);
    const bad = await new Api(engine.url).post('/register/project', { name: 'bad-hooks', webhooks: ['ftp://x'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe('webhooks[0]');
  });

  it('protects /metrics with ORRA_METRICS_TOKEN when it is set', async () => {
    expect((await fetch(`${engine.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${engine.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${engine.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret-token' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await ok.text()).toMatch(/^# HELP orra_orchestration_completions_total/m);
  });
});

describe('webhook address policy', () => {
  it('refuses loopback when ORRA_WEBHOOK_DENY_PRIVATE is on, at add time and on the resolved address at send time', async () => {
    const receiver = await new WebhookReceiver().listen();
    const open = await startTestEngine({ webhookRetrySchedule: '0s,10s' });
    const { api, apiKey } = await newProject(open.url);
    const service = await new RawService(api, { name: 'inc', onTask: (i) => ({ output: { n: i.n + 1 } }) }).start();
    const url = `http://localhost:${receiver.port}/hooks`; // a name: only the send-time lookup sees 127.0.0.1
    const endpointId = (await api.post('/webhooks', { url })).body.id as string;
    service.close();
    await open.close();

    const strict = await startTestEngine({ webhookDenyPrivate: true, webhookRetrySchedule: '0s,10s' }, open.dataDir);
    try {
      const strictApi = new Api(strict.url, apiKey);
      for (const bad of ['http://127.0.0.1:8080/x', 'http://[::1]/x', 'http://10.1.2.3/x', `http://localhost:${receiver.port}/other`]) {
        const res = await strictApi.post('/webhooks', { url: bad });
        expect(res.status, bad).toBe(400);
        expect(res.body.error.message).toMatch(/loopback or private/);
      }
      await service.connect(strict.url);
      await strictApi.post('/orchestrations', chainPlan([service.id]));
      const d = await waitFor(async () => {
        const list = (await strictApi.get(`/webhooks/deliveries?endpoint=${endpointId}`)).body.deliveries;
        return list[0]?.attempts >= 1 ? list[0] : undefined;
      }, { what: 'a refused attempt' });
      expect(d.lastError).toMatch(/refused by the webhook address policy/);
      expect(receiver.received).toHaveLength(0);
    } finally {
      service.close();
      await strict.dispose();
      rmSync(open.dataDir, { recursive: true, force: true });
      await receiver.close();
    }
  });
});
