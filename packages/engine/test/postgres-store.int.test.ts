import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../src/storage/postgres/migrate-postgres.js';
import { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import { POSTGRES_MIGRATIONS } from '../src/storage/postgres/migrations/index.js';
import type { Repos } from '../src/storage/store.js';
import { contractAdapters } from './helpers/store-contract-adapters.js';
import { endpoint, entry, orchestration, project, service, task } from './helpers/store-fixtures.js';
import { adminQuery, dropSchema, TEST_DATABASE_URL, uniqueSchema } from './helpers/test-database.js';
import { waitFor } from './helpers/wait-for.js';

// What only the PostgreSQL adapter has: a server shared by several processes, schemas, a pool.
const { isPostgresMissing } = await contractAdapters();

describe.skipIf(isPostgresMissing)('PostgreSQL store', () => {
  const schemas: string[] = [];
  const newSchema = (label: string) => {
    const schema = uniqueSchema(label);
    schemas.push(schema);
    return schema;
  };
  afterAll(async () => {
    for (const s of schemas) await dropSchema(s);
  });

  it('applies the migrations once when several engines start together on a new schema', async () => {
    const schema = newSchema('race');
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => PostgresStore.open({ url: TEST_DATABASE_URL, schema })),
    );
    try {
      const { rows } = await adminQuery(
        `SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`,
      );
      expect(rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      await stores[0]!.projects.insert(project('p_1'));
      expect(await stores[3]!.projects.get('p_1')).toEqual(project('p_1'));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('migrates a schema that already holds duplicate project names: they stay, the oldest owns the name', async () => {
    const schema = newSchema('names');
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await migratePostgres(client, schema, POSTGRES_MIGRATIONS.filter((m) => m.version < 9));
    } finally {
      await client.end();
    }
    for (const [id, name, at] of [['p_old1', 'Shop', 1], ['p_old2', ' shop', 2], ['p_old3', '', 3]] as const)
      await adminQuery(`INSERT INTO ${schema}.projects (id, name, created_at) VALUES ($1, $2, $3)`, [id, name, at]);
    const store = await PostgresStore.open({ url: TEST_DATABASE_URL, schema });
    try {
      expect((await store.projects.get('p_old2'))?.name).toBe(' shop');
      expect((await store.projects.findByName('SHOP'))?.id).toBe('p_old1');
      await expect(store.projects.insert({ ...project('p_new'), name: 'shop' })).rejects.toThrow(/projects_name_key/);
    } finally {
      await store.close();
    }
  });

  it('creates its schema when missing and keeps every table in it, apart from other schemas', async () => {
    const [a, b] = [newSchema('a'), newSchema('b')];
    const storeA = await PostgresStore.open({ url: TEST_DATABASE_URL, schema: a });
    const storeB = await PostgresStore.open({ url: TEST_DATABASE_URL, schema: b });
    try {
      await storeA.projects.insert(project('p_1'));
      await storeA.orchestrations.insert(orchestration('o_1'));
      expect(await storeB.projects.get('p_1')).toBeUndefined();
      expect(await storeB.orchestrations.listInFlight()).toEqual([]);
      const { rows } = await adminQuery(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [a],
      );
      expect(rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['schema_migrations', 'orchestrations', 'journal']),
      );
    } finally {
      await storeA.close();
      await storeB.close();
    }
  });

  it('runs a transaction again when another one changed a row it read since its snapshot', async () => {
    const store = await PostgresStore.open({ url: TEST_DATABASE_URL, schema: newSchema('conflict') });
    try {
      await store.projects.insert(project('p_1'));
      await store.services.insert(service('s_a'));
      let runs = 0;
      await store.transaction(async (tx) => {
        runs++;
        const s = (await tx.services.get('p_1', 's_a'))!;
        // Another writer commits on another connection after this transaction's snapshot was taken.
        if (runs === 1) await store.services.update({ ...s, version: 10 });
        await tx.services.update({ ...s, version: s.version + 1 });
      });
      expect(runs).toBe(2);
      expect((await store.services.get('p_1', 's_a'))?.version).toBe(11);
    } finally {
      await store.close();
    }
  });

  it('runs an add-unless-present transaction again when a concurrent insert of the same key beat it', async () => {
    const store = await PostgresStore.open({ url: TEST_DATABASE_URL, schema: newSchema('unique') });
    try {
      await store.projects.insert(project('p_1'));
      let runs = 0;
      const outcome = await store.transaction(async (tx) => {
        runs++;
        if (await tx.webhookEndpoints.findByUrl('p_1', 'orchestration', endpoint('we_1').url)) return 'exists';
        if (runs === 1) await store.webhookEndpoints.insert(endpoint('we_1')); // another request, committed first
        await tx.webhookEndpoints.insert(endpoint('we_2', { url: endpoint('we_1').url }));
        return 'added';
      });
      expect({ outcome, runs }).toEqual({ outcome: 'exists', runs: 2 });
      await expect(store.transaction((tx) => tx.projects.insert(project('p_1')))).rejects.toMatchObject({ code: '23505' });
    } finally {
      await store.close();
    }
  });

  it('pipelines a step: its body does not wait for its writes, which commit only with the transaction', async () => {
    const schema = newSchema('pipeline');
    const store = await PostgresStore.open({ url: TEST_DATABASE_URL, schema });
    const holder = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await holder.connect();
    try {
      await store.projects.insert(project('p_1'));
      await store.orchestrations.insert(orchestration('o_1', { status: 'processing' }));
      await store.tasks.save([task('o_1', 1)]);
      // Another session holds the task's row: the step's write waits on the server until it lets go.
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM tasks WHERE orchestration_id = 'o_1' AND task_id = 'task1' FOR UPDATE");
      let isBodyDone = false;
      const committed = store.transaction(async (tx) => {
        await tx.tasks.saveWithJournal([task('o_1', 1, { state: 'processing', attempts: 1 })], [entry('o_1', 'e_1')]);
        isBodyDone = true;
      });
      // A write awaited round trip by round trip would hold the body here until the row is let go.
      await waitFor(() => isBodyDone, { timeoutMs: 5_000, what: 'the step body to finish while its write waits' });
      expect((await store.tasks.listByOrchestration('o_1'))[0]?.state).toBe('waiting');
      await holder.query('COMMIT');
      await committed;
      expect((await store.tasks.listByOrchestration('o_1'))[0]?.state).toBe('processing');
      expect((await store.journal.listByOrchestration('o_1')).map((e) => e.entryId)).toEqual(['e_1']);
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it('fails a transaction with the error of its failed pipelined write, not that of a read queued behind it', async () => {
    const store = await PostgresStore.open({ url: TEST_DATABASE_URL, schema: newSchema('pipefail') });
    try {
      await store.projects.insert(project('p_1'));
      await store.orchestrations.insert(orchestration('o_1'));
      const key = { projectId: 'p_1', key: 'k_1', requestHash: 'h', orchestrationId: 'o_1', statusCode: 201, createdAt: 1 };
      await store.submissionKeys.insert(key);
      let runs = 0;
      const failing = store.transaction(async (tx) => {
        runs++;
        await tx.orchestrations.insert(orchestration('o_2'));
        await tx.submissionKeys.insert(key); // a duplicate: fails on the server, after the body went on
        await tx.projects.get('p_1'); // fails only because the transaction is aborted
      });
      await expect(failing).rejects.toMatchObject({ code: '23505' });
      expect(runs).toBe(2); // a unique violation is run once more, as before
      expect(await store.orchestrations.getById('o_2')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('refuses a transaction’s repositories once the transaction has ended', async () => {
    const store = await PostgresStore.open({ url: TEST_DATABASE_URL, schema: newSchema('leak') });
    try {
      let leaked: Repos | undefined;
      await store.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked!.projects.get('p_1')).rejects.toThrow(/used after its transaction ended/);
    } finally {
      await store.close();
    }
  });

  it('survives its connection being cut mid-transaction: that transaction fails, the next one works', async () => {
    const app = `orra_cut_${process.pid}`;
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('application_name', app);
    const store = await PostgresStore.open({ url: url.href, schema: newSchema('cut') });
    try {
      const cut = () => adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
      await expect(
        store.transaction(async (tx) => {
          await tx.projects.insert(project('p_1'));
          await cut();
          await new Promise((r) => setTimeout(r, 100)); // the connection's 'error' arrives while nothing runs on it
          await tx.projects.get('p_1');
        }),
      ).rejects.toThrow();
      await store.projects.insert(project('p_2'));
      expect(await store.projects.get('p_1')).toBeUndefined();
      expect(await store.projects.get('p_2')).toEqual(project('p_2'));
    } finally {
      await store.close();
    }
  });

  it('fails to open with the connection error when the server cannot be reached', async () => {
    const url = 'postgres://root@127.0.0.1:1/test';
    await expect(PostgresStore.open({ url, schema: newSchema('down') })).rejects.toThrow(/ECONNREFUSED/);
  });
});
