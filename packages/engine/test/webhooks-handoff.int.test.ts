import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';
import { EngineMetrics } from '../src/metrics/engine-metrics.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../src/storage/store.js';
import { SsrfPolicy } from '../src/webhooks/ssrf-policy.js';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher.js';
import { WebhookOutbox } from '../src/webhooks/webhook-outbox.js';
import { WebhookSender } from '../src/webhooks/webhook-sender.js';
import { endpoint, project, T0 } from './helpers/store-fixtures.js';
import { waitFor } from './helpers/wait-for.js';

// Deliveries the outbox has just committed go to the dispatcher in memory instead of being read back.
describe('webhook handoff from the outbox to the dispatcher', () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let dispatcher: WebhookDispatcher;
  let clock: number;
  let reads: number;
  /** Event ids in the order the receiver got them. */
  let received: string[];
  let replyDelayMs: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'orra-handoff-'));
    store = new SqliteStore(join(dir, 'orra.db'));
    received = [];
    replyDelayMs = 0;
    server = createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(200).end(), replyDelayMs));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    await store.projects.insert(project('p_1'));
    await store.webhookEndpoints.insert(endpoint('wh_1', { url }));
    clock = T0;
    reads = 0;
    const counting = new Proxy(store, {
      get(target, prop) {
        if (prop === 'webhookDeliveries') {
          const repo = target.webhookDeliveries;
          return { ...repo, listDue: (...args: Parameters<typeof repo.listDue>) => ((reads += 1), repo.listDue(...args)) };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const now = () => clock;
    const sender = new WebhookSender({ timeoutMs: 5_000, connectionsPerOrigin: 1, policy: new SsrfPolicy(false), now });
    dispatcher = new WebhookDispatcher(counting, sender, new EngineMetrics({ defaultMetrics: false }), createLogger('silent'), {
      schedule: [0, 60_000],
      maxPerEndpoint: 1,
      maxInFlight: 8,
      now,
    });
    dispatcher.wake();
  });

  afterEach(async () => {
    await dispatcher.stop();
    await new Promise((r) => server.close(r));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const outbox = () => new WebhookOutbox(() => clock, 0, (ready) => (ready.length > 0 ? dispatcher.offer(ready) : dispatcher.wake()));
  /** Commits one event in its own transaction at the next millisecond, then wakes as a step's afterCommit does. */
  const commit = async (id: string) => {
    clock += 1;
    const o = outbox();
    const enqueued = await store.transaction((tx) =>
      o.enqueue(tx, { projectId: 'p_1', kind: 'orchestration', type: 'orchestration.completed', eventId: id, payload: { event_id: id }, subject: `o_${id}`, orchestrationId: `o_${id}` }),
    );
    o.wake(enqueued);
  };

  it('sends deliveries without reading them back once the endpoint has nothing older waiting', async () => {
    await commit('e0');
    await waitFor(() => received.length === 1, { what: 'e0' });
    const readsAfterFirst = reads; // the first is read: nothing was known about the endpoint yet
    for (const id of ['e1', 'e2', 'e3']) await commit(id);
    await waitFor(() => received.length === 4, { what: 'e1..e3' });
    expect(received).toEqual(['e0', 'e1', 'e2', 'e3']);
    expect(reads).toBe(readsAfterFirst);
    // Still durable: every attempt is recorded and every delivery ends succeeded.
    await waitFor(async () => (await store.webhookDeliveries.list('p_1', { status: 'succeeded', limit: 10 })).length === 4, {
      what: 'four succeeded deliveries',
    });
    const seqs = (await store.webhookDeliveries.list('p_1', { limit: 10 })).map((d) => d.seq);
    expect(await store.webhookDeliveries.listAttempts(seqs)).toHaveLength(4);
  });

  it('does not let a handed-over delivery overtake one left waiting in storage', async () => {
    await commit('e0');
    await waitFor(() => received.length === 1, { what: 'e0' });
    await new Promise((r) => setTimeout(r, 50)); // e0's slot is free again
    replyDelayMs = 100;
    // One slot and a queue of four: e1 goes out, e2..e5 wait in memory, e6 is left in storage.
    for (let i = 1; i <= 6; i++) await commit(`e${i}`);
    await waitFor(() => received.length === 3, { what: 'e2 sent' });
    // The queue has room again, but e6 waits in storage: e7 must go after it.
    await commit('e7');
    await waitFor(() => received.length === 8, { what: 'e0..e7', timeoutMs: 5_000 });
    expect(received).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
  });
});
