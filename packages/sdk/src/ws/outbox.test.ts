import { describe, expect, it } from 'vitest';
import type { SdkPayload } from '@orra/protocol';
import { SILENT_LOGGER, type Logger } from '../logger.js';
import { waitFor } from '../test-support/wait-for.js';
import { Outbox } from './outbox.js';

const result = (executionId: string): SdkPayload => ({
  type: 'task_result',
  taskId: 'task1',
  executionId,
  serviceId: 's_x',
  idempotencyKey: `k-${executionId}`,
  result: { task: {} },
  error: null,
});

describe('Outbox', () => {
  it('numbers envelopes message_<n>_<executionId>', () => {
    const outbox = new Outbox({ ackTimeoutMs: 1000, maxQueued: 10, logger: SILENT_LOGGER });
    expect(outbox.wrap(result('e_a')).id).toBe('message_1_e_a');
    expect(outbox.wrap(result('e_b')).id).toBe('message_2_e_b');
  });

  it('forgets a message once ACKed, and queues unACKed ones when the socket closes', () => {
    const outbox = new Outbox({ ackTimeoutMs: 1000, maxQueued: 10, logger: SILENT_LOGGER });
    const acked = outbox.wrap(result('e_1'));
    const unacked = outbox.wrap(result('e_2'));
    outbox.sent(acked);
    outbox.sent(unacked);
    outbox.ack(acked.id);
    outbox.requeuePending();
    expect(outbox.pendingCount).toBe(0);
    expect(outbox.drain()).toEqual([unacked.payload]);
    expect(outbox.queuedCount).toBe(0);
  });

  it('queues a message whose ACK is late, and drops it from the queue when the ACK comes after all', async () => {
    const outbox = new Outbox({ ackTimeoutMs: 10, maxQueued: 10, logger: SILENT_LOGGER });
    const message = outbox.wrap(result('e_1'));
    outbox.sent(message);
    await waitFor(() => outbox.queuedCount === 1, 'the ACK timeout');
    expect(outbox.pendingCount).toBe(0);
    outbox.ack(message.id);
    expect(outbox.queuedCount).toBe(0);
  });

  it('drops the oldest queued message beyond the bound, with a warning', () => {
    const warnings: string[] = [];
    const logger: Logger = { ...SILENT_LOGGER, warn: (msg) => warnings.push(msg) };
    const outbox = new Outbox({ ackTimeoutMs: 1000, maxQueued: 2, logger });
    for (const id of ['e_1', 'e_2', 'e_3']) outbox.enqueue(outbox.wrap(result(id)));
    expect(outbox.drain().map((p) => ('executionId' in p ? p.executionId : ''))).toEqual(['e_2', 'e_3']);
    expect(warnings).toEqual(['outbound queue full, dropped the oldest message']);
  });

  it('clears pending and queued messages and reports how many were dropped', () => {
    const outbox = new Outbox({ ackTimeoutMs: 1000, maxQueued: 10, logger: SILENT_LOGGER });
    outbox.sent(outbox.wrap(result('e_1')));
    outbox.enqueue(outbox.wrap(result('e_2')));
    expect(outbox.clear()).toBe(2);
    expect(outbox.pendingCount + outbox.queuedCount).toBe(0);
  });
});
