import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { newProject, type Api } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver, type ReceivedWebhook } from './helpers/webhook-receiver.js';

/**
 * Each attempt keeps the request headers sent and the response headers received (migration 20), read back
 * through GET /webhooks/events/{id}; a receiver answering with 100 headers costs at most 32 and a marker.
 */
describe('webhook attempt headers', () => {
  let engine: TestEngine;
  let api: Api;
  let inc: RawService;
  const plain = new WebhookReceiver();
  const chatty = new WebhookReceiver();
  const secrets: string[] = [];
  let chattyId: string;

  beforeAll(async () => {
    engine = await startTestEngine({ webhookRetrySchedule: '0s' });
    ({ api } = await newProject(engine.url));
    plain.reply = () => ({ status: 200, body: '{"ok":true}', headers: { 'x-receiver': 'yes' } });
    const many: Record<string, string> = {};
    for (let i = 0; i < 100; i++) many[`x-h${String(i).padStart(3, '0')}`] = `value ${i}`;
    chatty.reply = () => ({ status: 200, body: '{}', headers: many });
    for (const r of [plain, chatty]) {
      await r.listen();
      const res = await api.post('/webhooks', { url: r.url });
      expect(res.status).toBe(201);
      secrets.push(res.body.secret);
      if (r === chatty) chattyId = res.body.id;
    }
    inc = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
  });
  afterAll(async () => {
    inc?.close();
    for (const r of [plain, chatty]) await r.close();
    await engine?.dispose();
    if (engine) rmSync(engine.dataDir, { recursive: true, force: true });
  });

  /** The event's attempt log per receiver URL, once every receiver's attempt is recorded. */
  async function attemptsOf(eventId: string, urls: string[]) {
    return waitFor(
      async () => {
        const res = await api.get(`/webhooks/events/${eventId}`);
        if (res.status !== 200) return undefined;
        const byUrl = new Map<string, any[]>(res.body.deliveries.map((d: any) => [d.url, d.attemptLog]));
        return urls.every((u) => (byUrl.get(u)?.length ?? 0) > 0) ? { byUrl, raw: JSON.stringify(res.body) } : undefined;
      },
      { what: 'the attempts recorded' },
    );
  }

  it('stores the request headers the receiver got and the response headers it sent', async () => {
    const res = await api.post('/orchestrations', chainPlan([inc.id]));
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const hook = await waitFor(() => plain.received.find((h) => h.json?.type === 'orchestration.completed' && h.json.orchestration_id === id), {
      what: 'orchestration.completed at the receiver',
    });
    await waitFor(() => chatty.received.find((h) => h.json?.event_id === hook.json.event_id), { what: 'the event at the second receiver' });
    const { byUrl, raw } = await attemptsOf(hook.json.event_id, [plain.url, chatty.url]);
    const [attempt] = byUrl.get(plain.url) as any[];
    const sent = attempt.requestHeaders as Record<string, string>;
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-orra-sequence', 'x-orra-event', 'content-type', 'user-agent']) {
      expect(sent[name], name).toBeDefined();
      expect(sent[name], name).toBe((hook as ReceivedWebhook).headers[name]);
    }
    expect(sent['webhook-id']).toBe(hook.json.event_id);
    expect(attempt.responseHeaders['x-receiver']).toBe('yes');
    expect(attempt.responseHeaders['content-type']).toBe('application/json');
    // The signature is stored; the secrets that made it are not.
    for (const secret of secrets) expect(raw).not.toContain(secret.replace(/^whsec_/, ''));

    // The chatty receiver answered with 100 headers (plus Node's own): 32 kept and the marker.
    const [bounded] = byUrl.get(chatty.url) as any[];
    const names = Object.keys(bounded.responseHeaders);
    expect(names.length).toBe(33);
    expect(bounded.responseHeaders['(dropped)']).toMatch(/^\d+ more not kept \(limit 32 headers, 4096 bytes\)$/);
    expect(Number(bounded.responseHeaders['(dropped)'].split(' ')[0])).toBeGreaterThanOrEqual(100 + 4 - 32);
    expect(JSON.stringify(bounded.responseHeaders).length).toBeLessThan(4096 + 200);
  });

  it('stores both on the attempt of a test event (POST /webhooks/{id}/test)', async () => {
    const res = await api.post(`/webhooks/${chattyId}/test`, {});
    expect(res.status).toBe(200);
    const { byUrl } = await attemptsOf(res.body.eventId, [chatty.url]);
    const [attempt] = byUrl.get(chatty.url) as any[];
    const got = chatty.received.find((h) => h.json?.event_id === res.body.eventId) as ReceivedWebhook;
    expect(attempt.requestHeaders['webhook-signature']).toBe(got.headers['webhook-signature']);
    expect(attempt.requestHeaders['x-orra-sequence']).toBeUndefined(); // a test event is not in the log
    expect(attempt.responseHeaders['(dropped)']).toBeDefined();
  });

  it('answers null for an attempt that got no response', async () => {
    const gone = new WebhookReceiver();
    await gone.listen();
    const created = await api.post('/webhooks', { url: gone.url });
    await gone.close(); // port closed: connection refused
    const res = await api.post(`/webhooks/${created.body.id}/test`, {});
    expect(res.body.succeeded).toBe(false);
    const { byUrl } = await attemptsOf(res.body.eventId, [gone.url]);
    const [attempt] = byUrl.get(gone.url) as any[];
    expect(attempt.responseHeaders).toBeNull();
    expect(attempt.requestHeaders['webhook-id']).toBe(res.body.eventId);
  });
});
