import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

// GET /compensation-failures/count at a length past the bulk limit: the overview shows the queue's real
// length, counted by the database (SQLite, or PostgreSQL with ORRA_TEST_DATABASE=postgres).
describe('GET /compensation-failures/count past the bulk limit', () => {
  let engine: TestEngine;
  let api: Api;
  let projectId: string;

  beforeAll(async () => {
    engine = await startTestEngine();
    ({ api, projectId } = await newProject(engine.url));
    const now = Date.now();
    const records = Array.from({ length: 640 }, (_, n) => {
      const service = n % 4 === 0 ? 'payments' : 'inventory';
      const isPending = n < 620;
      return {
        id: `c_count${String(n).padStart(6, '0')}`,
        projectId,
        orchestrationId: `o_count${String(Math.floor(n / 2)).padStart(6, '0')}`,
        taskId: `task${(n % 2) + 1}`,
        serviceId: `s_${service}`,
        serviceName: service,
        position: n % 2,
        status: 'failed' as const,
        data: { originalTask: { id: 'task1', input: {} }, taskResult: {} },
        ttlMs: 86_400_000,
        context: { orchestrationId: `o_count${n}`, reason: 'failed' as const, timestamp: new Date(now).toISOString() },
        taskInput: {},
        taskCompletedAt: now - n,
        idempotencyKey: `count-${n}`,
        executionId: null,
        attempts: 3,
        maxAttempts: 3,
        nextAttemptAt: null,
        lastError: 'refund API down',
        partial: null,
        failedAt: now - n,
        resolutionState: isPending ? ('pending' as const) : ('resolved' as const),
        resolution: isPending ? null : 'handled',
        resolvedAt: isPending ? null : now,
        createdAt: now - n,
        updatedAt: now - n,
      };
    });
    await engine.store.transaction((tx) => tx.compensations.save(records));
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('counts every pending one exactly, says the number is past what a bulk change may take, and finds the oldest', async () => {
    expect((await api.get('/compensation-failures/count')).body).toEqual({ count: 620, isOverLimit: true, limit: 500 });
    expect((await api.get('/compensation-failures/count?service=payments')).body).toEqual({ count: 155, isOverLimit: false, limit: 500 });
    expect((await api.get('/compensation-failures/count?orchestration=o_count000001')).body).toEqual({ count: 2, isOverLimit: false, limit: 500 });
    // The queue's oldest pending item, read by the index rather than by paging to its end.
    const oldest = (await api.get('/compensation-failures?resolution=pending&order=oldest&limit=1')).body;
    expect(oldest.map((c: { id: string }) => c.id)).toEqual(['c_count000619']);
    expect((await api.get('/compensation-failures?resolution=pending&limit=1')).body.map((c: { id: string }) => c.id)).toEqual(['c_count000000']);
    expect((await api.get('/compensation-failures?order=sideways')).body.error).toMatchObject({ code: 'Orra:ValidationFailed', param: 'order' });
    const { api: other } = await newProject(engine.url, 'other');
    expect((await other.get('/compensation-failures/count')).body).toEqual({ count: 0, isOverLimit: false, limit: 500 });
  });
});
