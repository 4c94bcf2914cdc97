import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/storage/store.js';
import type { TestDatabase } from './helpers/store-adapters.js';
import { contractAdapters } from './helpers/store-contract-adapters.js';
import {
  compensation,
  delivery,
  endpoint,
  entry,
  failed,
  orchestration,
  project,
  T0,
  task,
} from './helpers/store-fixtures.js';

// The storage contract, continued: what the retention sweeper may delete, and what it must keep.
const { adapters } = await contractAdapters();

const event = (id: string, createdAt: number) => ({
  id,
  projectId: 'p_1',
  type: 'orchestration.completed' as const,
  body: `{"event_id":"${id}"}`,
  createdAt,
  sequence: null as number | null,
  subject: null,
  orchestrationId: null,
});

describe.each(adapters)('$name store: retention', (adapter) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    db = adapter.create();
    store = await db.open();
    await store.projects.insert(project('p_1'));
  });
  afterEach(() => db.dispose());

  /** An orchestration with a task, a journal entry and optionally a compensation. */
  async function ended(
    id: string,
    status: 'completed' | 'failed' | 'aborted' | 'processing',
    updatedAt: number,
  ) {
    await store.orchestrations.insert(orchestration(id, { status, updatedAt }));
    await store.tasks.save([task(id, 1, { state: 'completed' })]);
    await store.journal.append([entry(id, `e_${id}`)]);
  }

  it('deletes ended orchestrations older than the cutoff with everything of theirs, and keeps the rest', async () => {
    await ended('o_old_done', 'completed', T0);
    await ended('o_old_failed', 'failed', T0 + 1);
    await store.compensations.save([
      compensation('c_done', { orchestrationId: 'o_old_failed', status: 'completed' }),
    ]);
    await store.compensations.appendAudit({
      compensationId: 'c_done',
      at: T0,
      keyId: 'k',
      action: 'retry',
      reason: null,
      previousState: 'pending',
      newState: 'resolved',
    });
    await ended('o_old_pending_failure', 'failed', T0 + 2);
    await store.compensations.save([
      failed('c_pending', T0 + 2, { orchestrationId: 'o_old_pending_failure' }),
    ]);
    await ended('o_old_compensating', 'aborted', T0 + 3);
    await store.compensations.save([
      compensation('c_running', { orchestrationId: 'o_old_compensating', status: 'waiting' }),
    ]);
    await ended('o_old_running', 'processing', T0);
    await ended('o_new_done', 'completed', T0 + 1_000);

    const cutoff = T0 + 500;
    expect(await store.transaction((tx) => tx.retention.pruneOrchestrations(cutoff, 1))).toBe(1);
    expect(await store.transaction((tx) => tx.retention.pruneOrchestrations(cutoff, 10))).toBe(1);
    expect(await store.transaction((tx) => tx.retention.pruneOrchestrations(cutoff, 10))).toBe(0);

    for (const gone of ['o_old_done', 'o_old_failed']) {
      expect(await store.orchestrations.getById(gone)).toBeUndefined();
      expect(await store.tasks.listByOrchestration(gone)).toEqual([]);
      expect(await store.journal.listByOrchestration(gone)).toEqual([]);
    }
    expect(await store.compensations.get('c_done')).toBeUndefined();
    expect(await store.compensations.listAudit('c_done')).toEqual([]);
    for (const kept of ['o_old_pending_failure', 'o_old_compensating', 'o_old_running', 'o_new_done']) {
      expect((await store.orchestrations.getById(kept))?.id).toBe(kept);
      expect(await store.tasks.listByOrchestration(kept)).toHaveLength(1);
      expect(await store.journal.listByOrchestration(kept)).toHaveLength(1);
    }
    expect((await store.compensations.get('c_pending'))?.resolutionState).toBe('pending');
    expect((await store.compensations.get('c_running'))?.status).toBe('waiting');
  });

  it('deletes webhook events older than the cutoff with their deliveries and attempts, unless one is pending', async () => {
    await store.webhookEndpoints.insert(endpoint('we_1'));
    for (const [id, at] of [
      ['ev_old', T0],
      ['ev_old_pending', T0],
      ['ev_new', T0 + 1_000],
    ] as const) {
      expect(await store.webhookDeliveries.insertEvent(event(id, at))).toBe(true);
    }
    await store.webhookDeliveries.insertDeliveries([
      delivery('ev_old', 'we_1', { status: 'succeeded', nextAttemptAt: null, attempts: 1 }),
      delivery('ev_old_pending', 'we_1'),
      delivery('ev_new', 'we_1', { status: 'succeeded', nextAttemptAt: null, createdAt: T0 + 1_000 }),
    ]);
    const [old] = (await store.webhookDeliveries.list('p_1', { limit: 10 })).filter(
      (d) => d.eventId === 'ev_old',
    );
    await store.webhookDeliveries.recordOutcomes([
      {
        attempt: {
          deliverySeq: old!.seq,
          attempt: 1,
          startedAt: T0,
          durationMs: 3,
          httpStatus: 200,
          responseBody: 'ok',
          error: null,
          isSuccess: true,
        },
        version: old!.version,
        status: 'succeeded',
        nextAttemptAt: null,
        now: T0,
      },
    ]);
    expect(await store.webhookDeliveries.listAttempts([old!.seq])).toHaveLength(1);

    expect(await store.transaction((tx) => tx.retention.pruneWebhookEvents(T0 + 500, 10))).toBe(1);
    expect(await store.webhookDeliveries.getEvent('p_1', 'ev_old')).toBeUndefined();
    expect(await store.webhookDeliveries.listAttempts([old!.seq])).toEqual([]);
    const left = (await store.webhookDeliveries.list('p_1', { limit: 10 })).map((d) => d.eventId).sort();
    expect(left).toEqual(['ev_new', 'ev_old_pending']);
    expect(await store.transaction((tx) => tx.retention.pruneWebhookEvents(T0 + 500, 10))).toBe(0);
  });

  it('deletes the event log from its start only, and records how far (pruned_through) for the feed', async () => {
    await store.webhookEndpoints.insert(endpoint('we_1'));
    // p_1: 1 old, 2 old, 3 old with a pending delivery, 4 old, 5 new. p_2: 1 old.
    await store.projects.insert(project('p_2'));
    const logged = async (id: string, projectId: string, at: number) => {
      const sequence = await store.transaction((tx) => tx.events.nextSequence(projectId));
      await store.webhookDeliveries.insertEvent({ ...event(id, at), projectId, sequence, subject: 'o_1', orchestrationId: 'o_1' });
      return sequence;
    };
    expect([await logged('ev_1', 'p_1', T0), await logged('ev_2', 'p_1', T0), await logged('ev_3', 'p_1', T0)]).toEqual([1, 2, 3]);
    await logged('ev_4', 'p_1', T0);
    await logged('ev_5', 'p_1', T0 + 1_000);
    expect(await logged('ev_p2', 'p_2', T0)).toBe(1);
    await store.webhookDeliveries.insertDeliveries([delivery('ev_3', 'we_1')]);

    expect(await store.transaction((tx) => tx.retention.pruneWebhookEvents(T0 + 500, 10))).toBe(3);
    expect(await store.events.bounds('p_1')).toEqual({ headSequence: 5, prunedThrough: 2 });
    expect(await store.events.bounds('p_2')).toEqual({ headSequence: 1, prunedThrough: 1 });
    // ev_4 is past the cutoff too, but goes only after ev_3: the log never has a hole.
    expect((await store.events.list('p_1', { afterSequence: 2, limit: 10 })).map((e) => e.id)).toEqual(['ev_3', 'ev_4', 'ev_5']);
    expect(await store.transaction((tx) => tx.retention.pruneWebhookEvents(T0 + 500, 10))).toBe(0);
    // Numbers are never reused after a prune.
    expect(await store.transaction((tx) => tx.events.nextSequence('p_2'))).toBe(2);
  });
});
