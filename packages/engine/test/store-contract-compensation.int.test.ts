import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompensationAuditEntry, GroundingRecord, Store } from '../src/storage/store.js';
import type { TestDatabase } from './helpers/store-adapters.js';
import { contractAdapters } from './helpers/store-contract-adapters.js';
import { compensation, failed, project, T0 } from './helpers/store-fixtures.js';

// The storage contract, continued: compensations with their audit trail, and grounding specs.
const { adapters } = await contractAdapters();

describe.each(adapters)('$name store: compensations and groundings', (adapter) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    db = adapter.create();
    store = await db.open();
    await store.projects.insert(project('p_1'));
  });
  afterEach(() => db.dispose());

  it('saves compensations as insert-or-replace and lists them in undo order; active ones are resumable', async () => {
    await store.compensations.save([
      compensation('c_b', { position: 1, orchestrationId: 'o_1' }),
      compensation('c_a', {
        position: 0,
        orchestrationId: 'o_1',
        status: 'processing',
        executionId: 'e_1',
        attempts: 1,
      }),
      compensation('c_z', {
        position: 0,
        orchestrationId: 'o_0',
        status: 'completed',
        partial: { completed: [1], remaining: [] },
      }),
    ]);
    await store.compensations.save([
      compensation('c_b', { position: 1, orchestrationId: 'o_1', status: 'waiting', nextAttemptAt: T0 + 5 }),
    ]);
    await store.compensations.save([]);
    expect(await store.compensations.get('c_b')).toEqual(
      compensation('c_b', { position: 1, orchestrationId: 'o_1', status: 'waiting', nextAttemptAt: T0 + 5 }),
    );
    expect(await store.compensations.get('c_none')).toBeUndefined();
    expect((await store.compensations.get('c_z'))?.partial).toEqual({ completed: [1], remaining: [] });
    expect((await store.compensations.listByOrchestration('o_1')).map((c) => c.id)).toEqual(['c_a', 'c_b']);
    expect((await store.compensations.listActive()).map((c) => c.id)).toEqual(['c_a', 'c_b']);
    expect((await store.compensations.findByIdempotencyKey('key_c_z'))?.id).toBe('c_z');
    expect(await store.compensations.findByIdempotencyKey('key_none')).toBeUndefined();
  });

  it('lists failed compensations newest failure first, filtered by resolution, orchestration and service, paged', async () => {
    await store.compensations.save([
      failed('c_1', T0 + 1, { orchestrationId: 'o_1' }),
      failed('c_2', T0 + 2, { orchestrationId: 'o_2', serviceId: 's_b', serviceName: 'Payments' }),
      failed('c_3', T0 + 3, {
        orchestrationId: 'o_1',
        resolutionState: 'resolved',
        resolution: 'done',
        resolvedAt: T0 + 4,
      }),
      failed('c_4', T0 + 3, { orchestrationId: 'o_1', projectId: 'p_2' }),
      compensation('c_5', { orchestrationId: 'o_1' }),
    ]);
    const ids = async (filter: Parameters<Store['compensations']['listFailed']>[1]) =>
      (await store.compensations.listFailed('p_1', filter)).map((c) => c.id);
    expect(await ids({})).toEqual(['c_3', 'c_2', 'c_1']);
    expect(await ids({ resolution: 'pending' })).toEqual(['c_2', 'c_1']);
    expect(await ids({ orchestrationId: 'o_1' })).toEqual(['c_3', 'c_1']);
    expect(await ids({ service: 'payments' })).toEqual(['c_2']); // a name, case-insensitively
    expect(await ids({ service: 's_b' })).toEqual(['c_2']); // or an id
    expect(await ids({ limit: 2 })).toEqual(['c_3', 'c_2']);
    expect(await ids({ limit: 2, offset: 2 })).toEqual(['c_1']);
    expect(await ids({ offset: 1 })).toEqual(['c_2', 'c_1']);
    expect(await store.compensations.countPendingFailures()).toBe(3); // every project
  });

  it('summarises compensations per orchestration', async () => {
    await store.compensations.save([
      compensation('c_1', { orchestrationId: 'o_1', status: 'completed' }),
      compensation('c_2', { orchestrationId: 'o_1', status: 'partial' }),
      compensation('c_3', { orchestrationId: 'o_1', status: 'expired' }),
      compensation('c_4', { orchestrationId: 'o_1', status: 'waiting' }),
      compensation('c_5', { orchestrationId: 'o_2', status: 'failed' }),
      compensation('c_6', { orchestrationId: 'o_3', status: 'pending' }),
    ]);
    expect(await store.compensations.summarize([])).toEqual([]);
    const summaries = await store.compensations.summarize(['o_2', 'o_1', 'o_none']);
    expect(summaries.sort((a, b) => a.orchestrationId.localeCompare(b.orchestrationId))).toEqual([
      { orchestrationId: 'o_1', total: 4, completed: 2, failed: 1, active: 1 },
      { orchestrationId: 'o_2', total: 1, completed: 0, failed: 1, active: 0 },
    ]);
  });

  it('keeps an audit trail per compensation in the order written', async () => {
    await store.compensations.save([failed('c_1', T0), failed('c_2', T0)]);
    const audit = (
      action: CompensationAuditEntry['action'],
      at: number,
      reason: string | null,
    ): CompensationAuditEntry => ({
      compensationId: 'c_1',
      at,
      keyId: 'k_1234',
      action,
      reason,
      previousState: 'pending',
      newState: action === 'resolve' ? 'resolved' : 'pending',
    });
    await store.compensations.appendAudit(audit('retry', T0 + 1, null));
    await store.compensations.appendAudit({ ...audit('retry', T0, null), compensationId: 'c_2' });
    await store.compensations.appendAudit(audit('resolve', T0 + 1, 'fixed by hand'));
    expect(await store.compensations.listAudit('c_1')).toEqual([
      audit('retry', T0 + 1, null),
      audit('resolve', T0 + 1, 'fixed by hand'),
    ]);
    expect(await store.compensations.listAudit('c_none')).toEqual([]);
  });

  it('stores text containing U+0000 instead of failing the transaction', async () => {
    await store.transaction((tx) =>
      tx.compensations.save([failed('c_1', T0, { lastError: 'bad\u0000byte' })]),
    );
    expect((await store.compensations.get('c_1'))?.lastError).toMatch(/^bad.byte$/);
  });

  it('upserts grounding specs by project and name, lists them by name, deletes one or all', async () => {
    const spec = (name: string, version: string, o: Partial<GroundingRecord> = {}): GroundingRecord => ({
      projectId: 'p_1',
      name,
      domain: 'shop',
      version,
      useCases: [
        {
          action: 'Refund order {orderId}',
          params: { orderId: 'ORD1' },
          capabilities: ['refunds'],
          intent: 'refund',
        },
      ],
      constraints: null,
      createdAt: T0,
      updatedAt: T0,
      ...o,
    });
    await store.groundings.upsert(spec('b-spec', '1.0', { constraints: ['no weekends'] }));
    await store.groundings.upsert(spec('A-spec', '1.0'));
    await store.groundings.upsert(spec('b-spec', '2.0', { updatedAt: T0 + 1, createdAt: T0 + 1 }));
    expect(await store.groundings.get('p_1', 'b-spec')).toEqual(spec('b-spec', '2.0', { updatedAt: T0 + 1 })); // created_at kept
    expect(await store.groundings.get('p_1', 'none')).toBeUndefined();
    expect((await store.groundings.listByProject('p_1')).map((g) => g.name)).toEqual(['A-spec', 'b-spec']); // byte order
    expect(await store.groundings.delete('p_1', 'A-spec')).toBe(true);
    expect(await store.groundings.delete('p_1', 'A-spec')).toBe(false);
    await store.groundings.upsert(spec('c-spec', '1.0'));
    expect(await store.groundings.deleteAll('p_1')).toBe(2);
    expect(await store.groundings.listByProject('p_1')).toEqual([]);
  });
});
