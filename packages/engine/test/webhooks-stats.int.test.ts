import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

const HOUR = 60 * 60 * 1000;

/**
 * GET /webhooks/stats: per endpoint, the attempts of the last 24 h (how many, how many succeeded) and the
 * latest of them. Attempts are written through the store's own outcome recording, with start times
 * chosen by the test inside and outside the window (the only way to have attempts 25 h old).
 */
describe('webhook endpoint statistics (last status, 24 h success rate)', () => {
  let engine: TestEngine;
  let api: Api;
  let projectId: string;
  let other: { api: Api; projectId: string };

  beforeAll(async () => {
    engine = await startTestEngine();
    ({ api, projectId } = await newProject(engine.url));
    other = await newProject(engine.url, 'other');
  });
  afterAll(() => engine.dispose());

  /** One finished delivery of a fresh event to the endpoint, with these attempts (start offsets from now). */
  async function attempts(project: string, endpointId: string, list: { agoMs: number; httpStatus: number | null; error?: string }[]) {
    const now = Date.now();
    const eventId = `ev_${endpointId}_${Math.random().toString(36).slice(2)}`;
    await engine.store.transaction(async (tx) => {
      await tx.webhookDeliveries.insertEvent({ id: eventId, projectId: project, type: 'webhook.test', body: '{}', createdAt: now, sequence: null, subject: endpointId, orchestrationId: null });
      const base = { eventId, endpointId, projectId: project, eventType: 'webhook.test' as const, lastHttpStatus: null, lastError: null };
      // Never pending: the dispatcher has nothing to send.
      await tx.webhookDeliveries.insertDeliveries([{ ...base, status: 'failed', attempts: 0, runAttempts: 0, nextAttemptAt: null, version: 0, createdAt: now, updatedAt: now }]);
      const [delivery] = await tx.webhookDeliveries.list(project, { eventId, limit: 1 });
      await tx.webhookDeliveries.recordOutcomes(
        list.map((a, i) => {
          const isSuccess = a.httpStatus !== null && a.httpStatus < 300;
          return {
            attempt: { deliverySeq: delivery!.seq, attempt: i + 1, startedAt: now - a.agoMs, durationMs: 12, httpStatus: a.httpStatus, responseBody: null, error: a.error ?? null, isSuccess },
            version: i,
            status: isSuccess ? ('succeeded' as const) : ('failed' as const),
            nextAttemptAt: null,
            now,
          };
        }),
      );
    });
  }

  it('counts only the attempts of the last 24 h per endpoint, with the latest one, in one answer for all endpoints', async () => {
    const add = async (a: Api, path: string) => (await a.post('/webhooks', { url: `http://127.0.0.1:9/${path}` })).body.id as string;
    const [first, second, quiet] = [await add(api, 'first'), await add(api, 'second'), await add(api, 'quiet')];
    const elsewhere = await add(other.api, 'elsewhere');
    // first: 2 of 3 inside the window (latest a 204, 10 min ago); two 500s 25 h ago must not count.
    await attempts(projectId, first, [{ agoMs: 25 * HOUR, httpStatus: 500 }, { agoMs: 25 * HOUR - 1000, httpStatus: 500 }]);
    await attempts(projectId, first, [{ agoMs: HOUR, httpStatus: 200 }, { agoMs: HOUR / 2, httpStatus: 503 }, { agoMs: HOUR / 6, httpStatus: 204 }]);
    // second: a success 30 h ago (outside), then a timeout, a success and, latest, a 500.
    await attempts(projectId, second, [{ agoMs: 30 * HOUR, httpStatus: 200 }]);
    await attempts(projectId, second, [{ agoMs: 20 * HOUR, httpStatus: null, error: 'timeout after 10000 ms' }, { agoMs: 2 * HOUR, httpStatus: 200 }, { agoMs: 5 * 60 * 1000, httpStatus: 500 }]);
    // quiet: only an attempt 48 h ago.
    await attempts(projectId, quiet, [{ agoMs: 48 * HOUR, httpStatus: 200 }]);
    // Another project's endpoint, active inside the window: never in this project's answer.
    await attempts(other.projectId, elsewhere, [{ agoMs: HOUR, httpStatus: 500 }]);

    const before = Date.now();
    const res = await api.get('/webhooks/stats');
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.until) - Date.parse(res.body.since)).toBe(24 * HOUR);
    expect(Date.parse(res.body.until)).toBeGreaterThanOrEqual(before - 1000);
    const byId = new Map((res.body.endpoints as { endpointId: string; lastAttempt: { at: string } | null }[]).map((e) => [e.endpointId, e]));
    expect(res.body.endpoints.map((e: { endpointId: string }) => e.endpointId)).toEqual([first, second, quiet]);
    expect(byId.get(first)).toMatchObject({ attempts: 3, succeeded: 2, successRate: 2 / 3, lastAttempt: { httpStatus: 204, error: null, succeeded: true } });
    expect(byId.get(second)).toMatchObject({ attempts: 3, succeeded: 1, successRate: 1 / 3, lastAttempt: { httpStatus: 500, error: null, succeeded: false } });
    expect(byId.get(quiet)).toEqual({ endpointId: quiet, attempts: 0, succeeded: 0, successRate: null, lastAttempt: null });
    const lastAt = Date.parse(byId.get(second)!.lastAttempt!.at);
    expect(Math.abs(lastAt - (before - 5 * 60 * 1000))).toBeLessThan(60_000);

    // The kind filter of the list applies; the other project sees only its own endpoint.
    expect((await api.get('/webhooks/stats?kind=operator')).body.endpoints).toEqual([]);
    expect((await api.get('/webhooks/stats?kind=everything')).status).toBe(400);
    expect((await other.api.get('/webhooks/stats')).body.endpoints).toEqual([expect.objectContaining({ endpointId: elsewhere, attempts: 1, succeeded: 0, successRate: 0 })]);
    // The store's grouped query itself is scoped to the project.
    const rows = await engine.store.webhookStats.attemptStats(projectId, before - 24 * HOUR);
    expect(rows.map((r) => r.endpointId).sort()).toEqual([first, second].sort());
  });

  it('leaves the endpoint list orra reads as it was (the statistics are a route of their own)', async () => {
    const list = (await api.get('/webhooks')).body as Record<string, unknown>[];
    expect(list.length).toBeGreaterThan(0);
    for (const e of list) {
      expect(Object.keys(e)).not.toContain('lastAttempt');
      expect(Object.keys(e)).not.toContain('successRate');
    }
  });
});
