import { IDEMPOTENCY_KEY_TTL_MS } from '@orra/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { ECOMMERCE_GROUNDING } from './fixtures/ecommerce-grounding.js';
import { startService } from './helpers/sdk-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/** `POST /orchestrations` with an `Idempotency-Key` (or none), the body as given or as raw text. */
async function submit(api: Api, body: unknown, key?: string, raw?: string) {
  const res = await fetch(`${api.baseUrl}/orchestrations`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${api.apiKey}`,
      ...(key === undefined ? {} : { 'Idempotency-Key': key }),
    },
    body: raw ?? JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as any,
    replayed: res.headers.get('idempotent-replayed'),
  };
}

describe('Idempotency-Key on POST /orchestrations', () => {
  let engine: TestEngine;
  let api: Api;
  let runs = 0;
  let serviceId: string;
  const cleanup: (() => unknown)[] = [];

  beforeAll(async () => {
    // retentionMs 0 keeps history forever; keys must still be swept after 24 h.
    engine = await startTestEngine({ retentionMs: 0, retentionSweepIntervalMs: 100 });
    let apiKey: string;
    ({ api, apiKey } = await newProject(engine.url));
    const svc = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'charge',
      input: { n: 'number' },
      output: { n: 'number' },
      handler: async (t) => {
        runs++;
        return { n: t.input.n + 1 };
      },
    });
    cleanup.push(() => svc.shutdown());
    serviceId = svc.id;
  });
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await engine.dispose();
  });

  const plan = (n: number) => ({
    action: { content: `charge ${n}` },
    plan: {
      tasks: [
        { id: 'task0', input: { n } },
        { id: 'task1', service: serviceId, input: { n: '$task0.n' } },
      ],
    },
  });
  const completed = (id: string) =>
    waitFor(async () => (await api.get(`/orchestrations/${id}`)).body.status === 'completed', {
      what: `orchestration ${id} to complete`,
    });
  const count = async () =>
    Object.values((await api.get('/orchestrations')).body as Record<string, unknown[]>).flat().length;

  it('answers a repeat with the same key and body with the first orchestration and 202, and runs it once', async () => {
    const before = runs;
    const first = await submit(api, plan(1), 'charge-order-1');
    expect(first.status).toBe(202);
    expect(first.replayed).toBeNull();
    await completed(first.body.id);
    const again = await submit(api, plan(1), 'charge-order-1');
    expect(again.status).toBe(202);
    expect(again.replayed).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    // The orchestration as it is now: the client that retries learns what happened since.
    expect(again.body.status).toBe('completed');
    expect(again.body.results).toEqual([{ n: 2 }]);
    expect(runs - before).toBe(1);
  });

  it('treats the same JSON with other key order and spacing as the same body', async () => {
    const first = await submit(api, plan(2), 'charge-order-2');
    const text = JSON.stringify({ plan: plan(2).plan, action: plan(2).action }, null, 2);
    const again = await submit(api, undefined, 'charge-order-2', text);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
  });

  it('refuses the same key with another body with 409 Orra:IdempotencyKeyReused, and creates nothing', async () => {
    const first = await submit(api, plan(3), 'charge-order-3');
    await completed(first.body.id);
    const orchestrations = await count();
    const before = runs;
    const other = await submit(api, plan(4), 'charge-order-3');
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({
      code: 'Orra:IdempotencyKeyReused',
      param: 'Idempotency-Key',
      message: `Idempotency-Key "charge-order-3" was used within the last 24 hours for a different request (orchestration ${first.body.id}); send a new key for a new request`,
    });
    expect(await count()).toBe(orchestrations);
    expect(runs).toBe(before);
  });

  it('keeps keys per project: another project may use the same key', async () => {
    const mine = await submit(api, plan(5), 'shared-key');
    const { api: other } = await newProject(engine.url, 'other');
    const theirs = await submit(
      other,
      { action: { content: 'nothing' }, plan: { tasks: [{ id: 'task0', input: {} }] } },
      'shared-key',
    );
    expect(theirs.status).toBe(400); // a plan with no task: refused on its merits, not for the key
    expect(theirs.body.error.code).not.toBe('Orra:IdempotencyKeyReused');
    expect(mine.status).toBe(202);
  });

  it('creates one orchestration for simultaneous submissions with one key', async () => {
    const before = await count();
    const answers = await Promise.all(Array.from({ length: 6 }, () => submit(api, plan(6), 'burst')));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.replayed === 'true')).toHaveLength(5);
    expect(await count()).toBe(before + 1);
  });

  it.each([
    ['empty', '', 'Idempotency-Key: must not be empty; send a new random value (a UUID) per request'],
    ['blank', '   ', 'Idempotency-Key: must not be empty; send a new random value (a UUID) per request'],
    ['over 255 characters', 'k'.repeat(256), 'Idempotency-Key: must be at most 255 characters (got 256)'],
  ])('refuses a key that is %s with 400 and stores nothing', async (_what, key, message) => {
    const before = await count();
    const res = await submit(api, plan(7), key);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'Orra:ValidationFailed',
      param: 'Idempotency-Key',
      message,
    });
    expect(await count()).toBe(before);
  });

  it('accepts a key of 255 characters', async () => {
    expect((await submit(api, plan(8), 'k'.repeat(255))).status).toBe(202);
  });

  it('stores no key for a body that fails validation, so the fixed request goes through with it', async () => {
    const bad = await submit(api, { action: { content: '' } }, 'fix-me');
    expect(bad.status).toBe(400);
    const fixed = await submit(api, plan(9), 'fix-me');
    expect(fixed.status).toBe(202);
    expect(fixed.replayed).toBeNull();
  });

  it('answers a repeat of a not-actionable submission with the same 400, naming the same stored orchestration', async () => {
    const { api: grounded } = await newProject(engine.url, 'grounded');
    expect((await grounded.post('/groundings', ECOMMERCE_GROUNDING)).status).toBe(201);
    const schema = { type: 'object', properties: { orderId: { type: 'string' } } };
    const registered = await grounded.post('/register/service', {
      name: 'orders',
      description: 'Looks up orders',
      schema: { input: schema, output: schema },
    });
    expect(registered.status).toBe(200);
    const body = { action: { content: 'Fly to the moon' } };
    const first = await submit(grounded, body, 'moon');
    expect(first.status).toBe(400);
    expect(first.body.error.code).toBe('Orra:ActionNotActionable');
    const again = await submit(grounded, body, 'moon');
    expect(again.status).toBe(400);
    expect(again.body.error).toEqual(first.body.error);
    const list = (await grounded.get('/orchestrations')).body;
    expect(list.notActionable).toHaveLength(1);
  });

  it('forgets a key after 24 hours: the sweeper deletes it (even with retention off) and the key may be used again', async () => {
    const first = await submit(api, plan(10), 'daily');
    await completed(first.body.id);
    const { projectId } = (await engine.store.orchestrations.getById(first.body.id))!;
    // Make the key 24 h and 1 ms old, as the clock would.
    await engine.store.transaction(async (tx) => {
      const key = (await tx.submissionKeys.get(projectId, 'daily'))!;
      await tx.submissionKeys.remove(projectId, 'daily');
      await tx.submissionKeys.insert({ ...key, createdAt: key.createdAt - IDEMPOTENCY_KEY_TTL_MS - 1 });
    });
    await waitFor(async () => (await engine.store.submissionKeys.get(projectId, 'daily')) === undefined, {
      what: 'the expired key to be swept',
    });
    expect((await api.get(`/orchestrations/${first.body.id}`)).status).toBe(200); // history stays
    const reused = await submit(api, plan(11), 'daily');
    expect(reused.status).toBe(202);
    expect(reused.body.id).not.toBe(first.body.id);
  });

  it('lets a submission replace an expired key the sweeper has not reached yet', async () => {
    const first = await submit(api, plan(12), 'stale');
    const { projectId } = (await engine.store.orchestrations.getById(first.body.id))!;
    await engine.store.transaction(async (tx) => {
      const key = (await tx.submissionKeys.get(projectId, 'stale'))!;
      await tx.submissionKeys.remove(projectId, 'stale');
      // Expired by one millisecond, and (with the sweeper every 100 ms) perhaps not swept yet.
      await tx.submissionKeys.insert({ ...key, createdAt: key.createdAt - IDEMPOTENCY_KEY_TTL_MS - 1 });
    });
    const other = await submit(api, plan(13), 'stale');
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(first.body.id);
  });
});
