import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activeBreaker } from '../src/storage/breaker-records.js';
import type { AttemptOutcome, Store, WebhookAttemptRecord } from '../src/storage/store.js';
import type { TestDatabase } from './helpers/store-adapters.js';
import { WebhookOutbox } from '../src/webhooks/webhook-outbox.js';
import { contractAdapters } from './helpers/store-contract-adapters.js';
import { delivery, endpoint, project, T0 } from './helpers/store-fixtures.js';

// The storage contract, continued: webhook endpoints and the outbox (events, deliveries, attempts).
const { adapters } = await contractAdapters();

const event = (id: string, projectId = 'p_1') => ({
  id,
  projectId,
  type: 'orchestration.completed' as const,
  body: `{"event_id":"${id}","b":1,"a":[2]}`,
  createdAt: T0,
  // ev_<n> is the project's n-th event in its log, each of its own orchestration.
  sequence: Number(id.slice('ev_'.length)),
  subject: `o_${id}`,
  orchestrationId: `o_${id}`,
});

const attempt = (deliverySeq: number, o: Partial<WebhookAttemptRecord> = {}): WebhookAttemptRecord => ({
  deliverySeq,
  attempt: 1,
  startedAt: T0 + 10,
  durationMs: 3,
  httpStatus: 500,
  responseBody: 'oops',
  error: 'HTTP 500',
  isSuccess: false,
  requestHeaders: { 'webhook-id': 'ev_1', 'x-orra-sequence': '7' },
  responseHeaders: { 'x-receiver': 'yes', '(dropped)': '1 more not kept (limit 32 headers, 4096 bytes)' },
  ...o,
});

describe.each(adapters)('$name store: webhooks', (adapter) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    db = adapter.create();
    store = await db.open();
    await store.projects.insert(project('p_1'));
    await store.projects.insert(project('p_2'));
  });
  afterEach(() => db.dispose());

  /** Two endpoints, one event each addressed to both; returns the deliveries newest first. */
  async function outbox() {
    await store.webhookEndpoints.insert(endpoint('we_1'));
    await store.webhookEndpoints.insert(endpoint('we_2', { createdAt: T0 + 1 }));
    expect(await store.webhookDeliveries.insertEvent(event('ev_1'))).toBe(true);
    expect(await store.webhookDeliveries.insertEvent(event('ev_2'))).toBe(true);
    await store.webhookDeliveries.insertDeliveries([
      delivery('ev_1', 'we_1'),
      delivery('ev_1', 'we_2', { nextAttemptAt: T0 + 100 }),
      delivery('ev_2', 'we_1', { nextAttemptAt: T0 + 50 }),
      delivery('ev_2', 'we_2', { status: 'skipped', nextAttemptAt: null }),
    ]);
    return store.webhookDeliveries.list('p_1', { limit: 10 });
  }

  it('keeps live endpoints per project and kind, oldest first; deleted ones are hidden', async () => {
    await store.webhookEndpoints.insert(endpoint('we_b', { createdAt: T0 + 1 }));
    await store.webhookEndpoints.insert(
      endpoint('we_a', {
        kind: 'compensation_failure',
        isEnabled: false,
        disabledReason: '410',
        disabledAt: T0,
      }),
    );
    await store.webhookEndpoints.insert(endpoint('we_c', { projectId: 'p_2' }));
    expect((await store.webhookEndpoints.list('p_1')).map((e) => e.id)).toEqual(['we_a', 'we_b']);
    expect((await store.webhookEndpoints.list('p_1', 'orchestration')).map((e) => e.id)).toEqual(['we_b']);
    expect(await store.webhookEndpoints.get('p_1', 'we_a')).toEqual(
      endpoint('we_a', {
        kind: 'compensation_failure',
        isEnabled: false,
        disabledReason: '410',
        disabledAt: T0,
      }),
    );
    expect(await store.webhookEndpoints.get('p_2', 'we_a')).toBeUndefined();
    expect(
      (await store.webhookEndpoints.findByUrl('p_1', 'orchestration', 'http://127.0.0.1:1/we_b'))?.id,
    ).toBe('we_b');
    const rotated = endpoint('we_b', {
      createdAt: T0 + 1,
      secret: 'whsec_new',
      previousSecret: 'whsec_we_b',
      previousSecretExpiresAt: T0 + 86_400_000,
    });
    await store.webhookEndpoints.update(rotated);
    expect(await store.webhookEndpoints.get('p_1', 'we_b')).toEqual(rotated);
    await store.webhookEndpoints.update({ ...rotated, deletedAt: T0 + 2 });
    expect(await store.webhookEndpoints.get('p_1', 'we_b')).toBeUndefined();
    expect(await store.webhookEndpoints.findByUrl('p_1', 'orchestration', rotated.url)).toBeUndefined();
    expect((await store.webhookEndpoints.list('p_1')).map((e) => e.id)).toEqual(['we_a']);
    await store.webhookEndpoints.insert(endpoint('we_z', { createdAt: T0 + 5 }));
    await store.webhookEndpoints.insert(endpoint('we_m', { createdAt: T0 + 5 })); // same millisecond: insertion order
    expect((await store.webhookEndpoints.list('p_1', 'orchestration')).map((e) => e.id)).toEqual([
      'we_z',
      'we_m',
    ]);
  });

  it('stores an event once with its exact body, and each (event, endpoint) delivery once', async () => {
    const deliveries = await outbox();
    expect(await store.webhookDeliveries.insertEvent({ ...event('ev_1'), body: 'other' })).toBe(false);
    expect(await store.webhookDeliveries.getEvent('p_1', 'ev_1')).toEqual(event('ev_1'));
    expect(await store.webhookDeliveries.getEvent('p_2', 'ev_1')).toBeUndefined();
    await store.webhookDeliveries.insertDeliveries([delivery('ev_1', 'we_1', { status: 'failed' })]);
    await store.webhookDeliveries.insertDeliveries([]);
    const again = await store.webhookDeliveries.list('p_1', { limit: 10 });
    expect(again).toEqual(deliveries);
    expect(deliveries.map((d) => [d.eventId, d.endpointId, d.status, d.url])).toEqual([
      ['ev_2', 'we_2', 'skipped', 'http://127.0.0.1:1/we_2'],
      ['ev_2', 'we_1', 'pending', 'http://127.0.0.1:1/we_1'],
      ['ev_1', 'we_2', 'pending', 'http://127.0.0.1:1/we_2'],
      ['ev_1', 'we_1', 'pending', 'http://127.0.0.1:1/we_1'],
    ]);
    expect(deliveries[3]).toMatchObject({ ...delivery('ev_1', 'we_1'), seq: expect.any(Number) });
  });

  it('filters and pages the delivery history newest first', async () => {
    const all = await outbox();
    const seqs = async (f: Partial<Parameters<Store['webhookDeliveries']['list']>[1]>) =>
      (await store.webhookDeliveries.list('p_1', { limit: 10, ...f })).map((d) => d.seq);
    const [s4, s3, s2, s1] = all.map((d) => d.seq) as [number, number, number, number];
    expect(s4 > s3 && s3 > s2 && s2 > s1).toBe(true);
    expect(await seqs({ status: 'pending' })).toEqual([s3, s2, s1]);
    expect(await seqs({ endpointId: 'we_2' })).toEqual([s4, s2]);
    expect(await seqs({ eventId: 'ev_1' })).toEqual([s2, s1]);
    expect(await seqs({ type: 'compensation.failed' })).toEqual([]);
    expect(await seqs({ limit: 2 })).toEqual([s4, s3]);
    expect(await seqs({ limit: 2, beforeSeq: s3 })).toEqual([s2, s1]);
    expect(await store.webhookDeliveries.list('p_2', { limit: 10 })).toEqual([]);
  });

  it('finds due work per endpoint, leaving out deliveries and endpoints already busy', async () => {
    const [, d3, d2, d1] = await outbox();
    const due = (await store.webhookDeliveries.listDueEndpoints([], [])).sort((a, b) =>
      a.endpointId.localeCompare(b.endpointId),
    );
    expect(due).toEqual([
      { endpointId: 'we_1', dueAt: T0, isProbe: false, window: null },
      { endpointId: 'we_2', dueAt: T0 + 100, isProbe: false, window: null },
    ]);
    expect(await store.webhookDeliveries.listDueEndpoints([d1!.seq], ['we_2'])).toEqual([
      { endpointId: 'we_1', dueAt: T0 + 50, isProbe: false, window: null },
    ]);
    const ready = await store.webhookDeliveries.listDue('we_1', T0 + 50, 10, []);
    expect(ready.map((d) => d.seq)).toEqual([d1!.seq, d3!.seq]);
    expect(ready[0]).toEqual({
      seq: d1!.seq,
      projectId: 'p_1',
      eventId: 'ev_1',
      eventType: 'orchestration.completed',
      eventCreatedAt: T0,
      sequence: 1,
      endpointId: 'we_1',
      body: event('ev_1').body,
      url: 'http://127.0.0.1:1/we_1',
      secret: 'whsec_we_1',
      previousSecret: null,
      previousSecretExpiresAt: null,
      runAttempts: 0,
      attempts: 0,
      version: 0,
    });
    expect((await store.webhookDeliveries.listDue('we_1', T0 + 49, 10, [])).map((d) => d.seq)).toEqual([
      d1!.seq,
    ]);
    expect((await store.webhookDeliveries.listDue('we_1', T0 + 50, 1, [d1!.seq])).map((d) => d.seq)).toEqual([
      d3!.seq,
    ]);
    expect(await store.webhookDeliveries.listDue('we_2', T0 + 99, 10, [])).toEqual([]);
    expect(d2!.status).toBe('pending');
  });

  it('holds a delivery back while an earlier event of its orchestration is pending at that endpoint', async () => {
    await store.webhookEndpoints.insert(endpoint('we_1'));
    await store.webhookEndpoints.insert(endpoint('we_2', { createdAt: T0 + 1 }));
    // ev_1 and ev_2 belong to o_same; ev_3 to another orchestration.
    for (const id of ['ev_1', 'ev_2']) {
      expect(await store.webhookDeliveries.insertEvent({ ...event(id), subject: 'c_x', orchestrationId: 'o_same' })).toBe(true);
    }
    expect(await store.webhookDeliveries.insertEvent(event('ev_3'))).toBe(true);
    await store.webhookDeliveries.insertDeliveries([
      delivery('ev_1', 'we_1', { nextAttemptAt: T0 + 500 }), // being retried later
      delivery('ev_2', 'we_1'),
      delivery('ev_3', 'we_1'),
      delivery('ev_2', 'we_2'), // ev_1 is not pending at we_2: nothing holds it there
    ]);
    const [d1] = (await store.webhookDeliveries.list('p_1', { eventId: 'ev_1', limit: 1 }));
    expect((await store.webhookDeliveries.listDue('we_1', T0 + 100, 10, [])).map((d) => d.eventId)).toEqual(['ev_3']);
    expect((await store.webhookDeliveries.listDue('we_2', T0 + 100, 10, [])).map((d) => d.eventId)).toEqual(['ev_2']);
    // ev_3 claimed: we_1's next due time is ev_1's retry, not ev_2's (held, so it sets no timer).
    const ev3 = (await store.webhookDeliveries.listDue('we_1', T0 + 100, 10, []))[0]!;
    expect((await store.webhookDeliveries.listDueEndpoints([ev3.seq], ['we_2']))).toEqual([{ endpointId: 'we_1', dueAt: T0 + 500, isProbe: false, window: null }]);
    await store.webhookDeliveries.recordOutcomes([
      { attempt: attempt(d1!.seq, { attempt: 1 }), version: d1!.version, status: 'succeeded', nextAttemptAt: null, now: T0 + 500 },
    ]);
    expect((await store.webhookDeliveries.listDue('we_1', T0 + 600, 10, [ev3.seq])).map((d) => d.eventId)).toEqual(['ev_2']);
  });

  it('applies an attempt outcome only to the delivery version it was claimed with', async () => {
    const [skipped, , d2, d1] = await outbox();
    const outcome = (
      seq: number,
      version: number,
      o: Partial<AttemptOutcome> = {},
      a: Partial<WebhookAttemptRecord> = {},
    ): AttemptOutcome => ({
      attempt: attempt(seq, a),
      version,
      status: 'pending',
      nextAttemptAt: T0 + 5_000,
      now: T0 + 20,
      ...o,
    });
    await store.transaction((tx) =>
      tx.webhookDeliveries.recordOutcomes([
        outcome(d1!.seq, 0), // current version: applied
        outcome(d2!.seq, 7, { status: 'failed', nextAttemptAt: null }), // stale: only noted
        outcome(
          skipped!.seq,
          3,
          { status: 'succeeded', nextAttemptAt: null },
          { httpStatus: 200, isSuccess: true, error: null },
        ),
      ]),
    );
    await store.webhookDeliveries.recordOutcomes([]);
    const bySeq = new Map((await store.webhookDeliveries.list('p_1', { limit: 10 })).map((d) => [d.seq, d]));
    expect(bySeq.get(d1!.seq)).toMatchObject({
      status: 'pending',
      attempts: 1,
      runAttempts: 1,
      nextAttemptAt: T0 + 5_000,
      lastHttpStatus: 500,
      lastError: 'HTTP 500',
      version: 1,
      updatedAt: T0 + 20,
    });
    expect(bySeq.get(d2!.seq)).toMatchObject({
      status: 'pending',
      attempts: 1,
      runAttempts: 0,
      nextAttemptAt: T0 + 100,
      version: 1,
    });
    expect(bySeq.get(skipped!.seq)).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      runAttempts: 0,
      lastHttpStatus: 200,
      lastError: null,
    });
    await store.webhookDeliveries.recordOutcomes([
      outcome(
        d1!.seq,
        1,
        { status: 'failed', nextAttemptAt: null },
        // Without headers, as an attempt recorded before migration 20 reads.
        { attempt: 2, responseBody: 'nul\u0000here', requestHeaders: undefined, responseHeaders: null },
      ),
    ]);
    expect(
      (await store.webhookDeliveries.list('p_1', { limit: 1, eventId: 'ev_1', endpointId: 'we_1' }))[0],
    ).toMatchObject({ status: 'failed', attempts: 2, version: 2 });
    const attempts = await store.webhookDeliveries.listAttempts([d1!.seq, d2!.seq]);
    expect(attempts.map((a) => [a.deliverySeq, a.attempt])).toEqual([
      [d1!.seq, 1],
      [d2!.seq, 1],
      [d1!.seq, 2],
    ]);
    expect(attempts[0]).toEqual(attempt(d1!.seq));
    expect(attempts[2]?.responseBody).toMatch(/^nul.here$/);
    expect(attempts[2]).toMatchObject({ requestHeaders: null, responseHeaders: null });
    expect(await store.webhookDeliveries.listAttempts([])).toEqual([]);
  });

  it('requeues an event’s or an endpoint’s deliveries, and ends an endpoint’s pending ones', async () => {
    const [skipped, d3] = await outbox();
    expect(await store.webhookDeliveries.requeueEvent('ev_2', ['we_2'], T0 + 60)).toBe(1);
    expect((await store.webhookDeliveries.list('p_1', { limit: 1 }))[0]).toMatchObject({
      seq: skipped!.seq,
      status: 'pending',
      runAttempts: 0,
      nextAttemptAt: T0 + 60,
      version: 1,
      updatedAt: T0 + 60,
    });
    expect(await store.webhookDeliveries.endPending('we_1', 'skipped', 'endpoint disabled', T0 + 70)).toBe(2);
    expect((await store.webhookDeliveries.list('p_1', { limit: 10, endpointId: 'we_1' }))[0]).toMatchObject({
      seq: d3!.seq,
      status: 'skipped',
      nextAttemptAt: null,
      lastError: 'endpoint disabled',
      version: 1,
    });
    expect(await store.webhookDeliveries.requeueEndpoint('we_1', T0 + 1, T0 + 80)).toBe(0); // created before `since`
    expect(await store.webhookDeliveries.requeueEndpoint('we_1', T0, T0 + 80)).toBe(2);
    expect(await store.webhookDeliveries.list('p_1', { limit: 10, status: 'pending' })).toHaveLength(4);
  });

  it('sums up the pending deliveries of every project: how many, and when the oldest arose', async () => {
    expect(await store.webhookDeliveries.pendingSummary()).toEqual({ count: 0, oldestCreatedAt: null });
    await outbox(); // three pending in p_1, one skipped
    await store.webhookEndpoints.insert(endpoint('we_3', { projectId: 'p_2' }));
    expect(await store.webhookDeliveries.insertEvent(event('ev_3', 'p_2'))).toBe(true);
    await store.webhookDeliveries.insertDeliveries([delivery('ev_3', 'we_3', { projectId: 'p_2', createdAt: T0 - 5 })]);
    expect(await store.webhookDeliveries.pendingSummary()).toEqual({ count: 4, oldestCreatedAt: T0 - 5 });
    expect(await store.webhookDeliveries.endPending('we_1', 'skipped', 'endpoint disabled', T0 + 70)).toBe(2);
    expect(await store.webhookDeliveries.pendingSummary()).toEqual({ count: 2, oldestCreatedAt: T0 - 5 });
  });

  it('keeps each endpoint\'s breaker; the due queries see a failing endpoint only for its probe and a paused one not at all', async () => {
    const [, d3, , d1] = await outbox();
    const base = activeBreaker('we_1', 'p_1', T0);
    expect(await store.breakers.get('we_1')).toBeUndefined();
    await store.breakers.put({ ...base, state: 'failing', stateSince: T0 + 1, failingSince: T0 + 1, consecutiveFailures: 5, firstFailedEventId: 'ev_1', isSpanningEvents: true, nextProbeAt: T0 + 900 }, true);
    expect(await store.breakers.get('we_1')).toMatchObject({ state: 'failing', failingSince: T0 + 1, isSpanningEvents: true, nextProbeAt: T0 + 900, throttledUntil: null });
    const due = await store.webhookDeliveries.listDueEndpoints([], []);
    expect(due.find((d) => d.endpointId === 'we_1')).toEqual({ endpointId: 'we_1', dueAt: T0 + 900, isProbe: true, window: null });
    // Nothing is due for sending while it fails, however late it is.
    expect(await store.webhookDeliveries.listDue('we_1', T0 + 10_000, 10, [])).toEqual([]);
    // The probe is the oldest pending delivery (lowest seq), whatever its due time.
    expect((await store.breakers.oldestPending('we_1', []))?.seq).toBe(d1!.seq);
    expect((await store.breakers.oldestPending('we_1', [d1!.seq]))?.seq).toBe(d3!.seq);
    expect(await store.breakers.pendingCounts(['we_1', 'we_2'])).toEqual(new Map([['we_1', 2], ['we_2', 1]]));
    expect(await store.breakers.summary()).toEqual(expect.arrayContaining([{ state: 'failing', endpoints: 1, pending: 2 }, { state: 'active', endpoints: 1, pending: 1 }]));
    // Paused: not due at all.
    await store.breakers.put({ ...base, state: 'paused' }, true);
    expect((await store.webhookDeliveries.listDueEndpoints([], [])).map((d) => d.endpointId)).toEqual(['we_2']);
    // Recovered, slow-starting: due again at the drain's time, in seq order, with its window.
    await store.breakers.put({ ...base, slowStartWindow: 1 }, true);
    expect(await store.breakers.makeDue('we_1', T0 + 2_000)).toBe(2);
    expect((await store.webhookDeliveries.listDueEndpoints([], [])).find((d) => d.endpointId === 'we_1')).toEqual({ endpointId: 'we_1', dueAt: T0 + 2_000, isProbe: false, window: 1 });
    const drained = await store.webhookDeliveries.listDue('we_1', T0 + 2_000, 10, []);
    expect(drained.map((d) => d.seq)).toEqual([...drained.map((d) => d.seq)].sort((a, b) => a - b));
    // A 429's Retry-After: not due before it.
    await store.breakers.put({ ...base, throttledUntil: T0 + 5_000 }, true);
    expect(await store.webhookDeliveries.listDue('we_1', T0 + 2_000, 10, [])).toEqual([]);
    expect((await store.webhookDeliveries.listDueEndpoints([], [])).find((d) => d.endpointId === 'we_1')?.dueAt).toBe(T0 + 5_000);
    expect(await store.breakers.list(['we_1', 'we_2'])).toHaveLength(1);
  });
  it('stores an event enqueued twice once, gives a reused id with another body a suffix, and burns no sequence either way', async () => {
    await store.webhookEndpoints.insert(endpoint('we_1'));
    const outbox = new WebhookOutbox(() => T0, 0, () => {});
    const enqueue = (id: string, extra: Record<string, unknown> = {}) =>
      store.transaction((tx) =>
        outbox.enqueue(tx, { projectId: 'p_1', kind: 'orchestration', type: 'orchestration.completed', eventId: id, payload: { event_id: id, ...extra }, subject: 'o_1', orchestrationId: 'o_1' }),
      );
    expect((await enqueue('ev_a'))?.sequence).toBe(1);
    expect(await enqueue('ev_a')).toBeUndefined(); // the same event again: nothing new, no number taken
    // Twice in one transaction too (the counter row is the transaction's own until it commits).
    const pair = await store.transaction(async (tx) => {
      const e = { projectId: 'p_1', kind: 'orchestration' as const, type: 'orchestration.completed' as const, eventId: 'ev_b', payload: { event_id: 'ev_b' }, subject: 'o_1', orchestrationId: 'o_1' };
      return [await outbox.enqueue(tx, e), await outbox.enqueue(tx, e)];
    });
    expect(pair.map((e) => e?.sequence)).toEqual([2, undefined]);
    const other = await enqueue('ev_a', { retry: 2 }); // same id, another body: kept under a suffixed id
    expect(other).toMatchObject({ eventId: 'ev_a-2', sequence: 3 });
    expect((await enqueue('ev_c'))?.sequence).toBe(4);
    const log = await store.events.list('p_1', { afterSequence: 0, limit: 10 });
    expect(log.map((e) => [e.id, e.sequence])).toEqual([['ev_a', 1], ['ev_b', 2], ['ev_a-2', 3], ['ev_c', 4]]);
    expect((await store.events.bounds('p_1')).headSequence).toBe(4);
    expect((await store.webhookDeliveries.list('p_1', { limit: 10 })).map((d) => d.eventId).sort()).toEqual(['ev_a', 'ev_a-2', 'ev_b', 'ev_c']);
  });
});
