import { ERROR_CODES } from '@orra/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedConsole, type ConsoleSeed } from './helpers/console-seed.js';

describe('operator audit trail', () => {
  let seed: ConsoleSeed;
  beforeAll(async () => {
    seed = await seedConsole();
  }, 120_000);
  afterAll(() => seed?.close());

  const post = (path: string, body: unknown, client?: string) =>
    fetch(seed.engine.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${seed.apiKey}`, 'content-type': 'application/json', ...(client ? { 'x-orra-client': client } : {}) },
      body: JSON.stringify(body),
    });

  it('records a resolve: who, from where, what, on which item, why, before and after, when', async () => {
    const id = seed.ids.failedCompensation;
    const before = Date.now();
    const res = await post(`/compensation-failures/${id}/resolve`, { reason: 'refunded by hand in the bank portal' }, 'cli');
    expect(res.status).toBe(200);
    const { entries } = (await seed.api.get(`/audit?item=${id}`)).body;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      id: expect.stringMatching(/^a_/),
      keyId: expect.stringMatching(/^[0-9a-f]{12}$/),
      keyLabel: 'primary',
      client: 'cli',
      action: 'compensation.resolve',
      itemKind: 'compensation',
      itemId: id,
      reason: 'refunded by hand in the bank portal',
      before: { resolutionState: 'pending' },
      after: { resolutionState: 'resolved' },
    });
    expect(Date.parse(entries[0].at)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('records an abort sent without a client header as coming from the API', async () => {
    const { entries } = (await seed.api.get(`/audit?item=${seed.ids.aborted}`)).body;
    expect(entries).toEqual([
      expect.objectContaining({
        client: 'api',
        action: 'orchestration.abort',
        reason: 'customer cancelled the order',
        before: expect.objectContaining({ status: 'processing' }),
        after: expect.objectContaining({ status: 'aborted' }),
      }),
    ]);
  });

  it('writes nothing for a refused change', async () => {
    const id = seed.ids.failedCompensation;
    const res = await post(`/compensation-failures/${id}/ignore`, { reason: '' }, 'cli');
    expect(res.status).toBe(400);
    const { entries } = (await seed.api.get(`/audit?item=${id}`)).body;
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['compensation.resolve']);
  });

  it('never records a secret', async () => {
    const res = await post(`/webhooks/${seed.failingEndpoint}/rotate-secret`, {});
    const { secret } = (await res.json()) as { secret: string };
    expect(secret).toMatch(/^whsec_/);
    const { entries } = (await seed.api.get(`/audit?item=${seed.failingEndpoint}`)).body;
    expect(entries[0]).toMatchObject({ action: 'webhook.rotate_secret', before: { id: seed.failingEndpoint }, after: { id: seed.failingEndpoint } });
    expect(JSON.stringify((await seed.api.get('/audit?limit=500')).body)).not.toContain(secret);
  });

  it('filters by action, client and time, pages with a cursor, and refuses a bad filter', async () => {
    const all = (await seed.api.get('/audit')).body.entries as { action: string; client: string }[];
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect((await seed.api.get('/audit?action=orchestration.abort')).body.entries).toHaveLength(1);
    expect((await seed.api.get('/audit?client=cli')).body.entries.every((e: { client: string }) => e.client === 'cli')).toBe(true);
    expect((await seed.api.get(`/audit?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.entries).toEqual([]);
    const first = (await seed.api.get('/audit?limit=1')).body;
    const second = (await seed.api.get(`/audit?limit=1&cursor=${first.nextCursor}`)).body;
    expect(second.entries[0].id).not.toBe(first.entries[0].id);
    expect(second.entries[0].id).toBe((await seed.api.get('/audit?limit=2')).body.entries[1].id);
    const bad = await seed.api.get('/audit?client=browser');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: ERROR_CODES.VALIDATION_FAILED, param: 'client' });
  });
});
