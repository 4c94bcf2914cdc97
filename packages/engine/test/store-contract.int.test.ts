import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/storage/store.js';
import { POSTGRES, SQLITE, type TestDatabase } from './helpers/store-adapters.js';
import { contractAdapters } from './helpers/store-contract-adapters.js';
import { entry, orchestration, project, service, T0, task } from './helpers/store-fixtures.js';

// The storage port's contract: the same cases against every adapter, on real databases (a SQLite file;
// a PostgreSQL schema of its own per test). Outbox and compensation repos: store-contract-outbox.
const { adapters, isPostgresMissing } = await contractAdapters();

describe.each(adapters)('$name store: core repositories', (adapter) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    db = adapter.create();
    store = await db.open();
    await store.projects.insert(project('p_1'));
  });
  afterEach(() => db.dispose());

  it('round-trips projects and API keys; lists a project’s keys oldest first', async () => {
    expect(await store.projects.get('p_1')).toEqual(project('p_1'));
    expect(await store.projects.get('p_none')).toBeUndefined();
    const key = (hash: string, createdAt: number, isPrimary = false) => ({
      keyHash: hash,
      projectId: 'p_1',
      prefix: hash.slice(0, 4),
      isPrimary,
      createdAt,
      role: (isPrimary ? 'operate' : 'read') as 'operate' | 'read',
      label: isPrimary ? 'primary' : null,
    });
    await store.apiKeys.insert(key('bbbb2', T0 + 5));
    // Role and label round-trip (a read key without a label here).
    expect(await store.apiKeys.findByHash('bbbb2')).toEqual(key('bbbb2', T0 + 5));
    await store.apiKeys.insert(key('aaaa1', T0, true));
    expect(await store.apiKeys.findByHash('aaaa1')).toEqual(key('aaaa1', T0, true));
    expect(await store.apiKeys.findByHash('zzzz')).toBeUndefined();
    await store.apiKeys.insert(key('zzzz3', T0 + 5));
    await store.apiKeys.insert(key('cccc4', T0 + 5)); // same millisecond: insertion order
    expect((await store.apiKeys.listByProject('p_1')).map((k) => k.keyHash)).toEqual([
      'aaaa1',
      'bbbb2',
      'zzzz3',
      'cccc4',
    ]);
  });

  it('inserts, updates and lists services by id, with schema and flags intact', async () => {
    await store.services.insert(service('s_b'));
    await store.services.insert(service('s_a', { revertible: false, kind: 'agent' }));
    await store.services.update(
      service('s_b', { name: 'renamed', version: 2, updatedAt: T0 + 1, createdAt: 0 }),
    );
    expect(await store.services.get('p_1', 's_b')).toEqual(
      service('s_b', { name: 'renamed', version: 2, updatedAt: T0 + 1 }),
    );
    expect(await store.services.get('p_other', 's_b')).toBeUndefined();
    expect((await store.services.listByProject('p_1')).map((s) => [s.id, s.revertible, s.kind])).toEqual([
      ['s_a', false, 'agent'],
      ['s_b', true, 'service'],
    ]);
  });

  it('keeps JSON fields exact: null, nested values, key order, falsy results; 64-bit times stay numbers', async () => {
    const o = orchestration('o_1', {
      plan: { tasks: [{ id: 'task1', service: 's_a', input: { z: 1, a: { y: [1, null, 'x'] } } }] } as never,
      taskZero: { zeta: 1, alpha: 2 },
      error: 'went wrong',
      results: [0, false, '', null, { b: 1, a: 2 }],
      abortReason: { why: 'operator' },
      updatedAt: 2 ** 52,
    });
    await store.orchestrations.insert(o);
    const back = await store.orchestrations.get('p_1', 'o_1');
    expect(back).toEqual(o);
    expect(Object.keys(back?.taskZero ?? {})).toEqual(['zeta', 'alpha']);
    expect(typeof back?.healthCheckGracePeriodMs).toBe('number');
    expect(await store.orchestrations.getById('o_1')).toEqual(o);
    expect(await store.orchestrations.get('p_other', 'o_1')).toBeUndefined();
  });

  it('treats insert of an existing orchestration id as replace; update writes only what changes later', async () => {
    await store.orchestrations.insert(orchestration('o_1'));
    await store.orchestrations.insert(orchestration('o_1', { action: 'again' }));
    const outcome = { status: 'failed' as const, error: { code: 1 }, results: [{ n: 1 }], abortReason: 'stop', updatedAt: T0 + 9 };
    await store.orchestrations.update(orchestration('o_1', { ...outcome, action: 'ignored', planner: 'ignored' }));
    expect(await store.orchestrations.getById('o_1')).toEqual(orchestration('o_1', { ...outcome, action: 'again' }));
  });

  it('lists orchestrations newest first up to the limit, and in-flight ones oldest first', async () => {
    const statuses = ['completed', 'processing', 'pending', 'failed', 'processing'] as const;
    for (const [i, status] of statuses.entries())
      await store.orchestrations.insert(orchestration(`o_${i}`, { status, createdAt: T0 + i }));
    expect((await store.orchestrations.listByProject('p_1', { limit: 3 })).map((o) => o.id)).toEqual([
      'o_4',
      'o_3',
      'o_2',
    ]);
    expect(await store.orchestrations.listByProject('p_none', { limit: 3 })).toEqual([]);
    expect((await store.orchestrations.listInFlight()).map((o) => o.id)).toEqual(['o_1', 'o_2', 'o_4']);
    await store.orchestrations.insert(orchestration('o_9', { createdAt: T0 + 7 }));
    await store.orchestrations.insert(orchestration('o_5', { createdAt: T0 + 7 })); // a tie: insertion order
    expect((await store.orchestrations.listByProject('p_1', { limit: 3 })).map((o) => o.id)).toEqual([
      'o_9',
      'o_5',
      'o_4',
    ]);
  });

  it('saves tasks as insert-or-replace, lists them by seq; within one batch the last record of a task wins', async () => {
    await store.orchestrations.insert(orchestration('o_1'));
    await store.tasks.save([task('o_1', 2), task('o_1', 10), task('o_1', 1)]);
    const done = task('o_1', 2, {
      state: 'completed',
      output: null,
      completedAt: T0 + 1,
      compensation: { data: { id: 7 }, ttl: 1000 },
    });
    await store.tasks.save([
      task('o_1', 10, { state: 'processing' }),
      task('o_1', 10, { state: 'paused', pausedSince: T0 }),
      done,
    ]);
    const tasks = await store.tasks.listByOrchestration('o_1');
    expect(tasks.map((t) => [t.taskId, t.state])).toEqual([
      ['task1', 'waiting'],
      ['task2', 'completed'],
      ['task10', 'paused'],
    ]);
    expect(tasks[1]).toEqual(done);
    await store.tasks.save([task('o_1', 1, { state: 'completed', output: 0, resolvedInput: { n: 0 } })]);
    expect((await store.tasks.listByOrchestration('o_1'))[0]).toMatchObject({
      output: 0,
      resolvedInput: { n: 0 },
    });
    // Saved again, a task keeps its plan fields: only its progress changes.
    await store.tasks.save([task('o_1', 1, { seq: 99, serviceId: 's_x', input: { other: 1 }, attempts: 3 })]);
    const again = (await store.tasks.listByOrchestration('o_1'))[0];
    expect(again).toMatchObject({ seq: 1, serviceId: 's_a', input: { n: '$task0.n' }, attempts: 3 });
    await store.tasks.save([]);
  });

  it('finds a task by the idempotency key it was sent under (answers no runner waits for)', async () => {
    await store.orchestrations.insert(orchestration('o_1'));
    await store.tasks.save([task('o_1', 1, { idempotencyKey: 'k_1', state: 'aborted' }), task('o_1', 2)]);
    expect(await store.tasks.findByIdempotencyKey('k_1')).toMatchObject({ orchestrationId: 'o_1', taskId: 'task1', state: 'aborted' });
    expect(await store.tasks.findByIdempotencyKey('k_none')).toBeUndefined();
  });

  it('appends journal entries in order and ignores an entry id already present', async () => {
    await store.journal.append([
      entry('o_1', 'e1'),
      entry('o_1', 'e2', { value: null, taskId: null }),
      entry('o_1', 'e1', { value: 'dup' }),
    ]);
    await store.journal.append([
      entry('o_1', 'e2', { value: 'again' }),
      entry('o_1', 'e3', { type: 'task_output', value: [1, 2] }),
    ]);
    await store.journal.append([entry('o_2', 'e1')]);
    await store.journal.append([]);
    const journal = await store.journal.listByOrchestration('o_1');
    expect(journal).toEqual([
      entry('o_1', 'e1'),
      entry('o_1', 'e2', { value: null, taskId: null }),
      entry('o_1', 'e3', { type: 'task_output', value: [1, 2] }),
    ]);
  });

  it('saves a step’s tasks and journal entries together, either list possibly empty', async () => {
    await store.orchestrations.insert(orchestration('o_1'));
    await store.tasks.saveWithJournal([task('o_1', 1), task('o_1', 2)], [entry('o_1', 'e1'), entry('o_1', 'e2'), entry('o_1', 'e1', { value: 'dup' })]);
    const done = task('o_1', 1, { state: 'completed', output: { v: 1 }, completedAt: T0 + 1 });
    await store.tasks.saveWithJournal([done], [entry('o_1', 'e3', { type: 'task_output', value: [1, 2] })]);
    await store.tasks.saveWithJournal([], [entry('o_1', 'e4')]);
    await store.tasks.saveWithJournal([task('o_1', 2, { state: 'processing', attempts: 1 })], []);
    await store.tasks.saveWithJournal([], []);
    const tasks = await store.tasks.listByOrchestration('o_1');
    expect(tasks[0]).toEqual(done);
    expect(tasks[1]).toMatchObject({ taskId: 'task2', state: 'processing', attempts: 1 });
    expect(await store.journal.listByOrchestration('o_1')).toEqual([
      entry('o_1', 'e1'),
      entry('o_1', 'e2'),
      entry('o_1', 'e3', { type: 'task_output', value: [1, 2] }),
      entry('o_1', 'e4'),
    ]);
  });

  it('commits a transaction’s writes together and returns its value', async () => {
    const value = await store.transaction(async (tx) => {
      await tx.orchestrations.insert(orchestration('o_1'));
      await tx.tasks.save([task('o_1', 1)]);
      expect(await tx.orchestrations.getById('o_1')).toBeDefined(); // a transaction reads its own writes
      return 42;
    });
    expect(value).toBe(42);
    expect(await store.tasks.listByOrchestration('o_1')).toHaveLength(1);
  });

  it('rolls a failed transaction back entirely and rethrows its error', async () => {
    const boom = new Error('boom');
    await expect(
      store.transaction(async (tx) => {
        await tx.orchestrations.insert(orchestration('o_1'));
        await tx.journal.append([entry('o_1', 'e1')]);
        throw boom;
      }),
    ).rejects.toBe(boom);
    await expect(store.transaction((tx) => tx.projects.insert(project('p_1')))).rejects.toThrow(); // duplicate id
    expect(await store.orchestrations.getById('o_1')).toBeUndefined();
    expect(await store.journal.listByOrchestration('o_1')).toEqual([]);
    expect(await store.projects.get('p_1')).toEqual(project('p_1'));
  });

  it('fails only the transaction that throws when several are requested together', async () => {
    const results = await Promise.allSettled([
      store.transaction((tx) => tx.projects.insert(project('p_a'))),
      store.transaction(async (tx) => {
        await tx.projects.insert(project('p_b'));
        throw new Error('b fails');
      }),
      store.transaction((tx) => tx.projects.insert(project('p_1'))), // duplicate key: fails in the database
      store.transaction(async (tx) => {
        await tx.projects.insert(project('p_c'));
        return 'c';
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[3] as PromiseFulfilledResult<string>).value).toBe('c');
    expect(await store.projects.get('p_a')).toBeDefined();
    expect(await store.projects.get('p_b')).toBeUndefined();
    expect(await store.projects.get('p_c')).toBeDefined();
  });

  it('never loses an update when transactions read and write the same row at once', async () => {
    await store.services.insert(service('s_a'));
    const bump = () =>
      store.transaction(async (tx) => {
        const s = await tx.services.get('p_1', 's_a');
        await new Promise((r) => setTimeout(r, 5)); // let the other transaction read the same version
        await tx.services.update({ ...s!, version: s!.version + 1 });
      });
    await Promise.all([bump(), bump(), bump()]);
    expect((await store.services.get('p_1', 's_a'))?.version).toBe(4);
  });

  it('keeps everything for the next store opened on the same database', async () => {
    await store.orchestrations.insert(orchestration('o_1'));
    await store.close();
    store = await db.open();
    expect(await store.orchestrations.getById('o_1')).toEqual(orchestration('o_1'));
  });

  it('refuses to open a database whose schema is newer than it knows', async () => {
    await store.close();
    await db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
    await expect(db.open()).rejects.toThrow('database schema version 999 is newer than this engine knows');
  });
});

describe.skipIf(isPostgresMissing)('schema parity of the adapters', () => {
  it('creates the same tables with the same columns on SQLite and PostgreSQL', async () => {
    const dbs = [SQLITE.create(), POSTGRES.create()];
    try {
      for (const db of dbs) await db.open();
      const [sqlite, postgres] = await Promise.all(dbs.map((db) => db.columns()));
      // PostgreSQL's `rowid` columns make explicit the rowid that every SQLite table has implicitly. The
      // scale-out tables and ownership columns (migration 0005) exist only on PostgreSQL: SQLite serves
      // one process; so does `cluster_sent` (migration 0008: which process sent a routed request). They
      // are listed here exactly, so any other drift still fails.
      const postgresOnly: Record<string, string[] | 'table'> = {
        engine_nodes: 'table',
        service_sockets: 'table',
        cluster_dispatch: 'table',
        cluster_inbox: 'table',
        cluster_sent: 'table',
        orchestrations: ['owner_node'],
        compensations: ['owner_node'],
        webhook_deliveries: ['claimed_by'],
      };
      const sorted = (t: Record<string, string[]> = {}, drop: Record<string, string[] | 'table'> = {}) =>
        Object.fromEntries(
          Object.entries(t)
            .filter(([k]) => drop[k] !== 'table')
            .map(([k, v]) => [k, v.filter((c) => c !== 'rowid' && !(drop[k] as string[] | undefined)?.includes(c)).sort()])
            .sort(),
        );
      expect(sorted(postgres, postgresOnly)).toEqual(sorted(sqlite));
      for (const [table, columns] of Object.entries(postgresOnly)) {
        if (columns === 'table') expect(postgres?.[table], table).toBeDefined();
        else expect(postgres?.[table], table).toEqual(expect.arrayContaining(columns));
      }
    } finally {
      for (const db of dbs) await db.dispose();
    }
  });
});
