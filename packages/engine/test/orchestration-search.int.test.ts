import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { orchestration, T0, task } from './helpers/store-fixtures.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

/** GET /orchestrations/search against a real engine whose storage holds 25 orchestrations. */
describe('GET /orchestrations/search', () => {
  let engine: TestEngine;
  let api: Api;
  const ids: string[] = [];

  beforeAll(async () => {
    engine = await startTestEngine();
    const project = await newProject(engine.url);
    api = project.api;
    const other = await newProject(engine.url, 'other');
    const svc = await api.post('/register/service', {
      name: 'payments',
      description: 'd',
      schema: { input: { type: 'object', properties: { a: { type: 'string' } } }, output: { type: 'object', properties: { b: { type: 'string' } } } },
    });
    for (let i = 0; i < 25; i++) {
      // Two per millisecond, so the cursor must break ties by id.
      const id = `o_T${String(i).padStart(3, '0')}`;
      ids.push(id);
      await engine.store.orchestrations.insert(
        orchestration(id, {
          projectId: project.projectId,
          action: i % 5 === 0 ? `Refund 100% of order ORD${i}` : `Ship order ORD${i}`,
          status: i % 3 === 0 ? 'failed' : i % 7 === 5 ? 'aborted' : 'completed',
          createdAt: T0 + Math.floor(i / 2),
          updatedAt: T0 + Math.floor(i / 2),
          // o_T001 (completed) and o_T003 (failed) have a plan of three tasks; o_T000's task has none.
          ...(i === 1 || i === 3 ? { plan: { tasks: [1, 2, 3].map((n) => ({ id: `task${n}`, service: svc.body.id, input: {} })) } as never } : {}),
        }),
      );
      if (i === 1) await engine.store.tasks.save([1, 2, 3].map((n) => task(id, n, { serviceId: svc.body.id, state: 'completed' })));
      else if (i === 3) await engine.store.tasks.save((['completed', 'failed', 'waiting'] as const).map((state, n) => task(id, n + 1, { serviceId: svc.body.id, state })));
      else if (i < 4) await engine.store.tasks.save([task(id, 1, { serviceId: svc.body.id })]);
    }
    await engine.store.orchestrations.insert(orchestration('o_Theirs', { projectId: other.projectId }));
  });
  afterAll(() => engine?.dispose());

  const pageIds = async (query: string) => {
    const res = await api.get(`/orchestrations/search?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { ids: res.body.items.map((o: { id: string }) => o.id) as string[], next: res.body.nextCursor as string | null };
  };

  it('pages newest first with a cursor, every item once, ties broken by id', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { ids: string[]; next: string | null } = await pageIds(`limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.ids);
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status, text, id prefix, time range and service, within the project', async () => {
    expect((await pageIds('status=failed&limit=500')).ids).toEqual(ids.filter((_, i) => i % 3 === 0).reverse());
    // Several statuses, comma-separated (the overview's "failed or aborted" tile): o_T005 and o_T019 were aborted.
    const failedOrAborted = ids.filter((_, i) => i % 3 === 0 || i % 7 === 5).reverse();
    expect((await pageIds('status=failed,aborted&limit=500')).ids).toEqual(failedOrAborted);
    expect((await pageIds('status=aborted,failed,aborted&limit=500')).ids).toEqual(failedOrAborted);
    expect((await pageIds('status=aborted')).ids).toEqual(['o_T019', 'o_T005']);
    // Paged with a cursor too.
    const first = await pageIds('status=failed,aborted&limit=6');
    expect([...first.ids, ...(await pageIds(`status=failed,aborted&limit=500&cursor=${encodeURIComponent(first.next!)}`)).ids]).toEqual(failedOrAborted);
    // `%` is a literal, not a wildcard; case does not matter.
    expect((await pageIds(`q=${encodeURIComponent('refund 100%')}`)).ids).toEqual(ids.filter((_, i) => i % 5 === 0).reverse());
    expect((await pageIds('id=o_T01')).ids).toEqual(ids.slice(10, 20).reverse());
    const since = new Date(T0 + 3).toISOString();
    const until = new Date(T0 + 5).toISOString();
    expect((await pageIds(`since=${since}&until=${until}`)).ids).toEqual(ids.slice(6, 10).reverse());
    expect((await pageIds('service=PAYMENTS')).ids).toEqual(ids.slice(0, 4).reverse());
    expect((await pageIds('service=nobody')).ids).toEqual([]);
    expect((await pageIds('id=o_Theirs')).ids).toEqual([]);
  });

  it("shows each item's tasks done/total once it has a plan, not in orra's grouped list", async () => {
    const res = await api.get('/orchestrations/search?limit=500');
    const byId = new Map((res.body.items as { id: string; status: string; tasks?: unknown }[]).map((o) => [o.id, o]));
    expect(byId.get('o_T001')).toMatchObject({ status: 'completed', tasks: { done: 3, total: 3 } });
    expect(byId.get('o_T003')).toMatchObject({ status: 'failed', tasks: { done: 1, total: 3 } });
    // No plan yet (a task row alone does not make one): no figure rather than a made-up 0/0.
    expect(byId.get('o_T000')).not.toHaveProperty('tasks');
    const grouped = await api.get('/orchestrations');
    for (const item of Object.values(grouped.body as Record<string, object[]>).flat()) expect(item).not.toHaveProperty('tasks');
  });

  it('refuses a bad filter or cursor, naming it', async () => {
    for (const [query, param] of [
      ['status=weird', 'status'],
      ['limit=0', 'limit'],
      ['since=yesterday', 'since'],
      ['cursor=abc', 'cursor'],
    ] as const) {
      const res = await api.get(`/orchestrations/search?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
    // Each of several statuses is checked, and the bad one named.
    for (const query of ['status=failed,weird', 'status=failed,', 'status=,aborted']) {
      const res = await api.get(`/orchestrations/search?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.param).toBe('status');
    }
    const named = await api.get('/orchestrations/search?status=failed,weird');
    expect(named.body.error.message).toContain("'weird' is not a status");
  });
});
