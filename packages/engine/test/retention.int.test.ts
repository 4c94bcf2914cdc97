import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startService } from './helpers/sdk-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

describe('retention', () => {
  let engine: TestEngine;
  const cleanup: (() => unknown)[] = [];

  beforeAll(async () => {
    // Everything that has ended is at once past a 1 ms retention; the sweeper looks every 100 ms.
    engine = await startTestEngine({ retentionMs: 1, retentionSweepIntervalMs: 100 });
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await engine.dispose();
  });

  it('deletes an ended orchestration and its delivered webhook event once they outlive the retention period', async () => {
    const { api } = await newProject(engine.url);
    const receiver = await new WebhookReceiver().listen();
    cleanup.push(() => receiver.close());
    expect((await api.post('/webhooks', { url: receiver.url })).status).toBe(201);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const inc = await new RawService(api, {
      name: 'inc',
      onTask: (input) => ({ output: { n: input.n + 1 } }),
    }).start();
    cleanup.push(() => inc.close());
    const slow = await startService({
      orraUrl: engine.url,
      apiKey: api.apiKey!,
      name: 'slow',
      input: { n: 'number' },
      output: { n: 'number' },
      handler: async (t) => {
        await held;
        return { n: t.input.n + 1 };
      },
    });
    cleanup.push(() => slow.shutdown());

    const running = (await api.post('/orchestrations', chainPlan([slow.id], 100))).body.id as string;
    const done = (await api.post('/orchestrations', chainPlan([inc.id]))).body.id as string;
    await waitFor(() => receiver.received.some((h) => h.body.includes(done)), {
      what: 'the completion webhook',
    });
    await waitFor(async () => (await api.get(`/orchestrations/${done}`)).status === 404, {
      what: 'the ended orchestration to be deleted',
    });
    expect((await api.get(`/orchestrations/inspections/${done}`)).status).toBe(404);
    await waitFor(async () => (await api.get('/webhooks/deliveries')).body?.deliveries?.length === 0, {
      what: 'its delivered event to be deleted',
    });
    // In flight: never deleted, however old.
    expect((await api.get(`/orchestrations/${running}`)).body.status).toBe('processing');
    release();
    await waitFor(async () => (await api.get(`/orchestrations/${running}`)).status === 404, {
      what: 'the second orchestration to be deleted once it has ended',
    });
  });
});
