import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { failingUndoServices, type RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

// `GET /webhooks/deliveries?orchestration_id=o_…`: one orchestration's deliveries, its compensations'
// included, however many newer deliveries the project has (the console's orchestration page reads it).
// SQLite, or PostgreSQL with ORRA_TEST_DATABASE=postgres.
describe('webhook deliveries of one orchestration', () => {
  let engine: TestEngine;
  let api: Api;
  let other: Api;
  const receiver = new WebhookReceiver();
  const services: RawService[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    engine = await startTestEngine({ taskMaxAttempts: 1, compensationMaxAttempts: 1, compensationBackoffMs: 1 });
    ({ api } = await newProject(engine.url));
    ({ api: other } = await newProject(engine.url, 'other'));
    await receiver.listen();
    expect((await api.post('/webhooks', { url: `${receiver.url}/orchestrations` })).status).toBe(201);
    expect((await api.post('/compensation-failure-webhooks', { url: `${receiver.url}/compensations` })).status).toBe(201);
    // A revertible step whose undo fails, then a failing step: each orchestration ends failed with one
    // compensation.failed event of its own (a c_… id, not the orchestration's).
    const { step, boom } = await failingUndoServices(api);
    services.push(step, boom);
    const plan = {
      action: { content: 'a step, then boom' },
      plan: {
        tasks: [
          { id: 'task0', input: { n: 0 } },
          { id: 'task1', service: step.id, input: { n: '$task0.n' } },
          { id: 'task2', service: boom.id, input: { n: '$task1.n' } },
        ],
      },
    };
    for (let i = 0; i < 4; i++) {
      const res = await api.post('/orchestrations', plan);
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    // Two events per orchestration, each delivered once.
    await waitFor(async () => {
      const { deliveries } = (await api.get('/webhooks/deliveries?status=succeeded&limit=100')).body;
      return deliveries.length === 2 * ids.length;
    }, { timeoutMs: 30_000, what: 'every delivery succeeded' });
  });
  afterAll(async () => {
    for (const s of services) s.close();
    await receiver.close();
    await engine.dispose();
  });

  it("lists the oldest orchestration's deliveries, its compensation's included, past newer ones", async () => {
    const [oldest] = ids;
    // A page of 2: without the filter it would hold the newest orchestration's deliveries instead.
    const res = await api.get(`/webhooks/deliveries?orchestration_id=${oldest}&limit=2`);
    expect(res.status).toBe(200);
    const { deliveries, nextCursor } = res.body;
    expect(deliveries.map((d: { type: string }) => d.type).sort()).toEqual(['compensation.failed', 'orchestration.failed']);
    expect(nextCursor).toBeNull();
    for (const d of deliveries) {
      const event = (await api.get(`/webhooks/events/${d.eventId}`)).body;
      expect(JSON.parse(event.body).orchestration_id).toBe(oldest);
    }
    // Other filters still apply on top.
    const comp = (await api.get(`/webhooks/deliveries?orchestration_id=${oldest}&type=compensation.failed`)).body.deliveries;
    expect(comp).toHaveLength(1);
    expect(comp[0].eventId).toMatch(/^c_/);
  });

  it('answers a malformed id with a 400 naming the parameter, and another project with nothing', async () => {
    const bad = await api.get('/webhooks/deliveries?orchestration_id=not-an-id');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ param: 'orchestration_id' });
    expect(bad.body.error.message).toMatch(/orchestration_id must be an orchestration id/);
    const foreign = await other.get(`/webhooks/deliveries?orchestration_id=${ids[0]}`);
    expect(foreign.status).toBe(200);
    expect(foreign.body.deliveries).toEqual([]);
  });
});
