import { describe, expect, it } from 'vitest';
import type { DueDelivery } from '../storage/store.js';
import { attemptOutcome } from './attempt-outcome.js';
import type { AttemptResult } from './webhook-sender.js';

const delivery = (runAttempts: number): DueDelivery => ({
  seq: 7, projectId: 'p_1', eventId: 'o_1-completed-1', eventType: 'orchestration.completed', eventCreatedAt: 0, sequence: 1, endpointId: 'wh_1',
  body: '{}', url: 'http://127.0.0.1/x', secret: 'whsec_AAAA', previousSecret: null, previousSecretExpiresAt: null,
  runAttempts, attempts: runAttempts + 2, version: 3,
});
const result = (over: Partial<AttemptResult>): AttemptResult => ({
  kind: 'http_error', isSuccess: false, isGone: false, httpStatus: 500, responseBody: null, error: 'HTTP 500',
  retryAfterMs: undefined, startedAt: 1_000, durationMs: 5, requestHeaders: { 'webhook-id': 'ev_1' }, responseHeaders: { 'x-receiver': 'yes' },
  ...over,
});
const schedule = [0, 100, 1_000];

describe('attempt outcome', () => {
  it('succeeds on a 2xx', () => {
    const o = attemptOutcome(delivery(0), result({ kind: 'success', isSuccess: true, httpStatus: 200, error: null }), schedule, 2_000);
    expect(o).toMatchObject({ status: 'succeeded', nextAttemptAt: null, version: 3, attempt: { attempt: 3, deliverySeq: 7, isSuccess: true } });
    // The headers sent and received go into the attempt row as they are.
    expect(o.attempt).toMatchObject({ requestHeaders: { 'webhook-id': 'ev_1' }, responseHeaders: { 'x-receiver': 'yes' } });
  });

  it('schedules the next attempt from the schedule, honouring Retry-After within bounds', () => {
    expect(attemptOutcome(delivery(0), result({}), schedule, 2_000, () => 0.5)).toMatchObject({ status: 'pending', nextAttemptAt: 2_100 });
    expect(attemptOutcome(delivery(1), result({ retryAfterMs: 5_000 }), schedule, 2_000)).toMatchObject({ status: 'pending', nextAttemptAt: 4_000 });
  });

  it('fails for good when the schedule is used up, or at once on 410 Gone', () => {
    expect(attemptOutcome(delivery(2), result({}), schedule, 2_000)).toMatchObject({ status: 'failed', nextAttemptAt: null });
    const gone = attemptOutcome(delivery(0), result({ isGone: true, httpStatus: 410 }), schedule, 2_000);
    expect(gone).toMatchObject({ status: 'failed', attempt: { error: expect.stringContaining('410') } });
  });
});
