import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, newProject } from './helpers/api.js';
import { orchestration, task } from './helpers/store-fixtures.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';

const HOUR = 3_600_000;

/**
 * GET /orchestrations/failure-counts (the console overview's tile) against a real engine whose storage
 * holds failed and aborted orchestrations in and out of the last 24 h, in two projects.
 */
describe('GET /orchestrations/failure-counts', () => {
  let engine: TestEngine;
  let api: Api;
  let read: Api;
  const now = Date.now();

  beforeAll(async () => {
    engine = await startTestEngine();
    const project = await newProject(engine.url);
    api = project.api;
    const made = await api.post('/apikeys', { role: 'read', label: 'dashboard' });
    read = new Api(engine.url, made.body.apiKey);
    const other = await newProject(engine.url, 'other');
    let n = 0;
    const failed = async (projectId: string, createdAt: number, service: string, message: string) => {
      const id = `o_F${String(++n).padStart(3, '0')}`;
      await engine.store.orchestrations.insert(
        orchestration(id, {
          projectId,
          status: 'failed',
          error: { id: `task_fail_task2_${n}`, producer: 'task2', error: message },
          createdAt,
          updatedAt: createdAt,
        }),
      );
      // The failing task is task2; task1 ran on another service and must not be the group's.
      await engine.store.tasks.save([task(id, 1, { serviceId: 's_other', serviceName: 'other' }), task(id, 2, { serviceId: `s_${service}`, serviceName: service })]);
    };
    const aborted = async (projectId: string, createdAt: number, reason: unknown) => {
      const id = `o_A${String(++n).padStart(3, '0')}`;
      await engine.store.orchestrations.insert(orchestration(id, { projectId, status: 'aborted', abortReason: reason, createdAt, updatedAt: createdAt }));
    };
    for (let i = 0; i < 3; i++) await failed(project.projectId, now - (i + 1) * HOUR, 'notify', 'task2 failed after 3 attempts: mail server down');
    await failed(project.projectId, now - 2 * HOUR, 'payments', 'task2 failed after 3 attempts: card declined');
    await failed(project.projectId, now - 30 * HOUR, 'payments', 'task2 failed after 3 attempts: card declined'); // older than 24 h
    await failed(other.projectId, now - HOUR, 'notify', 'task2 failed after 3 attempts: mail server down'); // another project's
    await aborted(project.projectId, now - HOUR, { reason: 'customer cancelled', abortedBy: 'operator' });
    await aborted(project.projectId, now - 3 * HOUR, { reason: 'customer cancelled', abortedBy: 'operator' });
    await aborted(project.projectId, now - 5 * HOUR, 'a bare payload'); // no reason to group by
    // Completed ones in the window are not counted.
    await engine.store.orchestrations.insert(orchestration('o_C001', { projectId: project.projectId, status: 'completed', createdAt: now - HOUR }));
  });
  afterAll(() => engine?.dispose());

  it('counts the last 24 h by status, failing service and error, largest group first, within the project', async () => {
    const res = await api.get('/orchestrations/failure-counts');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      since: expect.any(String),
      until: expect.any(String),
      failed: 4,
      aborted: 3,
      groups: [
        { status: 'failed', service: 'notify', serviceId: 's_notify', error: 'task2 failed after 3 attempts: mail server down', count: 3 },
        { status: 'aborted', service: null, serviceId: null, error: 'customer cancelled', count: 2 },
        { status: 'aborted', service: null, serviceId: null, error: null, count: 1 },
        { status: 'failed', service: 'payments', serviceId: 's_payments', error: 'task2 failed after 3 attempts: card declined', count: 1 },
      ],
      notListed: 0,
    });
    expect(Date.parse(res.body.until) - Date.parse(res.body.since)).toBe(24 * HOUR);
  });

  it('keeps the `limit` largest groups and counts the rest as not listed; takes a time range', async () => {
    const top = await api.get('/orchestrations/failure-counts?limit=1');
    expect(top.body.groups.map((g: { count: number }) => g.count)).toEqual([3]);
    expect(top.body.notListed).toBe(4);
    const since = new Date(now - 48 * HOUR).toISOString();
    const until = new Date(now - 2 * HOUR + 1).toISOString();
    const older = await api.get(`/orchestrations/failure-counts?since=${since}&until=${until}`);
    expect(older.body).toMatchObject({ failed: 4, aborted: 2, since, until, notListed: 0 });
    expect(older.body.groups.find((g: { service: string }) => g.service === 'payments').count).toBe(2);
  });

  it('answers a read key', async () => {
    const res = await read.get('/orchestrations/failure-counts');
    expect(res.status).toBe(200);
    expect(res.body.failed).toBe(4);
  });

  it('refuses a bad parameter, naming it', async () => {
    for (const [query, param] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['since=yesterday', 'since'],
      ['until=soon', 'until'],
      [`since=${new Date(now).toISOString()}&until=${new Date(now - HOUR).toISOString()}`, 'since'],
    ] as const) {
      const res = await api.get(`/orchestrations/failure-counts?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
  });
});
