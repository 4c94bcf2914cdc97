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
          status: i % 3 === 0 ? 'failed' : 'completed',
          createdAt: T0 + Math.floor(i / 2),
          updatedAt: T0 + Math.floor(i / 2),
        }),
      );
      if (i < 4) await engine.store.tasks.save([task(id, 1, { serviceId: svc.body.id })]);
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
  });
});
