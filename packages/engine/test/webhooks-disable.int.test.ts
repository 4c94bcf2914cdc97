import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, newProject } from './helpers/api.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

/** POST /webhooks/{id}/disable: an operator's disable, the counterpart of enable. */
describe('disabling a webhook endpoint by hand', () => {
  let engine: TestEngine;
  let api: Api;
  let read: Api;

  beforeAll(async () => {
    engine = await startTestEngine();
    ({ api } = await newProject(engine.url));
    read = new Api(engine.url, (await api.post('/apikeys', { role: 'read', label: 'dashboard' })).body.apiKey);
  });
  afterAll(() => engine.dispose());

  it('disables an active endpoint, audited with the state before and after, and writes webhook.endpoint.disabled once', async () => {
    const id = (await api.post('/webhooks', { url: 'http://127.0.0.1:9/hooks' })).body.id as string;
    const res = await api.post(`/webhooks/${id}/disable`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, enabled: false, state: 'disabled', disabledReason: expect.stringMatching(/operator/) });
    expect((await api.get(`/webhooks/${id}`)).body).toMatchObject({ enabled: false, state: 'disabled' });
    // Again: no change, no second event or transition, still 200.
    expect((await api.post(`/webhooks/${id}/disable`)).status).toBe(200);

    const { entries } = (await api.get(`/audit?item=${id}&action=webhook.disable`)).body;
    expect(entries[entries.length - 1]).toMatchObject({
      action: 'webhook.disable',
      itemKind: 'webhook_endpoint',
      itemId: id,
      keyLabel: 'primary',
      before: { enabled: true, state: 'active' },
      after: { enabled: false, state: 'disabled' },
    });
    const events = (await api.get('/events?type=webhook.endpoint.disabled')).body.data as { subject: string; data?: { trigger?: string } }[];
    expect(events.filter((e) => e.subject === id)).toHaveLength(1);
    expect(JSON.stringify(events.find((e) => e.subject === id))).toContain('"trigger":"operator"');

    // Enable brings it back.
    expect((await api.post(`/webhooks/${id}/enable`)).body).toMatchObject({ enabled: true, state: 'active' });
  });

  it('answers a read key with 403 and an unknown id with 404, changing nothing', async () => {
    const id = (await api.post('/webhooks', { url: 'http://127.0.0.1:9/kept' })).body.id as string;
    const refused = await read.post(`/webhooks/${id}/disable`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/read-only/);
    expect((await api.get(`/webhooks/${id}`)).body.enabled).toBe(true);
    const unknown = await api.post('/webhooks/wh_doesnotexist/disable');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('webhook not found: wh_doesnotexist');
    expect((await api.get(`/audit?item=${id}&action=webhook.disable`)).body.entries).toEqual([]);
  });
});
