import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/** The gauges an operator alerts on when deliveries pile up: read from storage at every scrape. */
describe('pending webhook delivery metrics', () => {
  let engine: TestEngine;
  let receiver: WebhookReceiver;
  let isAccepting = false;

  beforeAll(async () => {
    engine = await startTestEngine({ webhookRetrySchedule: '0s,200ms,200ms,200ms,200ms,200ms,200ms,200ms' });
    receiver = await new WebhookReceiver().listen();
    receiver.reply = () => (isAccepting ? { status: 200 } : { status: 503, body: 'down' });
  });
  afterAll(async () => {
    await receiver.close();
    await engine.dispose();
  });

  const metric = async (name: string) => {
    const text = await (await fetch(`${engine.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  it('counts deliveries waiting for a retry with the age of the oldest, and drops to 0 once they are delivered', async () => {
    expect(await metric('orra_webhook_deliveries_pending')).toBe(0);
    expect(await metric('orra_webhook_oldest_pending_delivery_age_seconds')).toBe(0);
    const { api } = await newProject(engine.url);
    const inc = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    try {
      expect((await api.post('/webhooks', { url: receiver.url })).status).toBe(201);
      for (let i = 0; i < 2; i++) expect((await api.post('/orchestrations', chainPlan([inc.id]))).status).toBe(202);
      // Both events were refused at least once: they wait for a retry.
      await waitFor(() => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size === 2, {
        what: 'both events refused',
      });
      expect(await metric('orra_webhook_deliveries_pending')).toBe(2);
      await new Promise((r) => setTimeout(r, 50));
      const age = (await metric('orra_webhook_oldest_pending_delivery_age_seconds'))!;
      expect(age).toBeGreaterThan(0.04);
      expect(age).toBeLessThan(60);

      isAccepting = true;
      await waitFor(async () => (await metric('orra_webhook_deliveries_pending')) === 0, { what: 'the deliveries to succeed' });
      expect(await metric('orra_webhook_oldest_pending_delivery_age_seconds')).toBe(0);
    } finally {
      await inc.close();
    }
  });
});
