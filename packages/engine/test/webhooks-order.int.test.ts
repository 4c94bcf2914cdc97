import { afterAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { failingUndoServices, type RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';
import { WebhookReceiver, type ReceivedWebhook } from './helpers/webhook-receiver.js';

const ORCHESTRATIONS = 200;

// Delivery order per orchestration, without head-of-line blocking across orchestrations (SQLite, or
// PostgreSQL with ORRA_TEST_DATABASE=postgres).
describe('webhook delivery order', () => {
  let engine: TestEngine | undefined;
  const receiver = new WebhookReceiver();
  const services: RawService[] = [];
  afterAll(async () => {
    for (const s of services) s.close();
    await receiver.close();
    await engine?.dispose();
  });

  it(`delivers each orchestration's events in sequence order while some fail and retry; a failing one holds back only its own orchestration (${ORCHESTRATIONS} orchestrations)`, async () => {
    // A retry 50 ms after the first failure, then every 2 s for 80 s: the poison event keeps failing
    // until the test lets it through.
    engine = await startTestEngine({
      taskMaxAttempts: 1,
      compensationMaxAttempts: 1,
      compensationBackoffMs: 1,
      webhookRetrySchedule: ['0s', '50ms', ...Array.from({ length: 40 }, () => '2s')].join(','),
    });
    const { api } = await newProject(engine.url);
    await receiver.listen();
    expect((await api.post('/compensation-failure-webhooks', { url: receiver.url })).status).toBe(201);
    // Two revertible steps, then a failing one: each orchestration fails and both compensations fail,
    // so each has two compensation.failed events.
    const { step, boom } = await failingUndoServices(api);
    services.push(step, boom);

    // Every third event fails its first attempt (retried 50 ms later); the poison event (the first to
    // arrive) fails every attempt until it is let through.
    const attempts = new Map<string, number>();
    let poisonEventId: string | undefined;
    let isPoisonLetThrough = false;
    const succeededAt = new Map<string, number>();
    receiver.reply = (hook) => {
      const id = hook.json.event_id as string;
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      poisonEventId ??= id;
      if (id === poisonEventId && !isPoisonLetThrough) return { status: 500, body: 'poison' };
      if (Number(hook.headers['x-orra-sequence']) % 3 === 0 && n === 1) return { status: 503, body: 'busy' };
      succeededAt.set(id, succeededAt.get(id) ?? hook.at);
      return { status: 200, body: 'ok' };
    };

    const plan = {
      action: { content: 'two steps, then boom' },
      plan: {
        tasks: [
          { id: 'task0', input: { n: 0 } },
          { id: 'task1', service: step.id, input: { n: '$task0.n' } },
          { id: 'task2', service: step.id, input: { n: '$task1.n' } },
          { id: 'task3', service: boom.id, input: { n: '$task2.n' } },
        ],
      },
    };
    const ids: string[] = [];
    for (let i = 0; i < ORCHESTRATIONS; i++) {
      const res = await api.post('/orchestrations', plan);
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }

    // Every event but the poison one and the one behind it is delivered while the poison one still fails.
    const delivered = await waitFor(
      () => (succeededAt.size >= 2 * ORCHESTRATIONS - 2 ? [...succeededAt.keys()] : undefined),
      { what: 'every other orchestration\'s events', timeoutMs: 120_000, intervalMs: 100 },
    );
    const poisonStatus = (await api.get(`/webhooks/events/${poisonEventId}`)).body.deliveries[0].status;
    expect(poisonStatus).toBe('pending');
    const poisonOrchestration = receiver.received.find((h) => h.json.event_id === poisonEventId)!.json.orchestration_id;
    expect(receiver.received.filter((h) => h.json.orchestration_id === poisonOrchestration && h.json.event_id !== poisonEventId)).toEqual([]);
    expect(delivered).not.toContain(poisonEventId);

    // Once the poison event succeeds, the one behind it goes.
    isPoisonLetThrough = true;
    await waitFor(() => receiver.received.some((h) => h.json.orchestration_id === poisonOrchestration && h.json.event_id !== poisonEventId), {
      what: 'the poison orchestration\'s second event',
      timeoutMs: 60_000,
    });

    // Per orchestration, no event was even attempted before the previous one (by sequence) succeeded.
    const byOrchestration = new Map<string, ReceivedWebhook[]>();
    for (const h of receiver.received) {
      const list = byOrchestration.get(h.json.orchestration_id) ?? [];
      list.push(h);
      byOrchestration.set(h.json.orchestration_id, list);
    }
    expect(new Set(byOrchestration.keys())).toEqual(new Set(ids));
    for (const [orchestrationId, hooks] of byOrchestration) {
      const sequences = [...new Set(hooks.map((h) => Number(h.headers['x-orra-sequence'])))];
      expect(sequences, orchestrationId).toHaveLength(2);
      const [first, second] = sequences;
      expect(first!, orchestrationId).toBeLessThan(second!);
      const firstId = hooks.find((h) => Number(h.headers['x-orra-sequence']) === first)!.json.event_id as string;
      const firstDone = succeededAt.get(firstId)!;
      for (const h of hooks.filter((x) => Number(x.headers['x-orra-sequence']) === second)) {
        expect(h.at, orchestrationId).toBeGreaterThanOrEqual(firstDone);
      }
    }
  }, 300_000);
});
