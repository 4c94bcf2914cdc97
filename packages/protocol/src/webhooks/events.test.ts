import { describe, expect, it } from 'vitest';
import { compensationFailedPayload, orchestrationEventPayload } from './events.js';

const at = Date.parse('2026-10-27T15:30:45.678Z');

describe('webhook event payloads', () => {
  it('builds orchestration events with orra ids, real RFC 3339 seconds and only their own fields', () => {
    const completed = orchestrationEventPayload({ projectId: 'p_1', orchestrationId: 'o_1', status: 'completed', finalizedAt: at, results: [{ n: 1 }] });
    expect(JSON.stringify(completed)).toBe(
      '{"event_id":"o_1-completed-1793115045","type":"orchestration.completed","project_id":"p_1","orchestration_id":"o_1","status":"completed","timestamp":"2026-10-27T15:30:45Z","results":[{"n":1}]}',
    );
    const failed = orchestrationEventPayload({ projectId: 'p_1', orchestrationId: 'o_1', status: 'failed', finalizedAt: at, error: { id: 'f1', producer: 'task2', error: 'boom' } });
    expect(failed).not.toHaveProperty('results');
    expect(failed).toMatchObject({ type: 'orchestration.failed', error: { id: 'f1', producer: 'task2', error: 'boom' } });
    const aborted = orchestrationEventPayload({ projectId: 'p_1', orchestrationId: 'o_1', status: 'aborted', finalizedAt: at });
    expect(aborted).toMatchObject({ type: 'orchestration.aborted', abort_reason: null });
  });

  it('builds compensation.failed with the documented compensation_data', () => {
    const event = compensationFailedPayload({
      compensationId: 'c_1', projectId: 'p_1', orchestrationId: 'o_1', taskId: 'task1', serviceId: 's_1', serviceName: 'inventory',
      status: 'expired', failure: 'ttl', failedAt: at, taskInput: { sku: 'A' }, reason: 'aborted', reasonAt: '2026-10-27T15:00:00.123Z',
      payload: { reason: 'x' }, data: { hold: 1 }, ttlMs: 1000,
    });
    expect(event.event_id).toBe('c_1-failed-1793115045');
    expect(event.status).toBe('expired');
    expect(event.compensation_data).toEqual({
      input: { sku: 'A' },
      context: { reason: 'orchestration_aborted', timestamp: '2026-10-27T15:00:00Z', payload: { reason: 'x' } },
      data: { hold: 1 },
      ttl: 1000,
    });
  });
});
