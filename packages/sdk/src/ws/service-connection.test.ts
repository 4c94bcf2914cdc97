import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeEngine } from '../test-support/fake-engine.js';
import { resultFor, ServiceHarness } from '../test-support/service-harness.js';
import { waitFor } from '../test-support/wait-for.js';

const h = new ServiceHarness();
let engine: FakeEngine;

beforeEach(async () => {
  await h.start();
  engine = h.engine;
});
afterEach(() => h.stop());

describe('ACKs and reconnects', () => {
  it('re-sends an unacknowledged result after a reconnect, under a new envelope', async () => {
    const svc = await h.connected();
    svc.start(async () => ({ ok: true }));
    engine.autoAck = false;
    const request = h.taskRequest('k-unacked');
    engine.send(request);
    const first = await engine.waitForFrame(resultFor('k-unacked'), 'the first send');
    engine.dropConnections();
    const second = await engine.waitForFrame(resultFor('k-unacked'), 'the re-send', 1);
    expect(first).toMatchObject({ id: `message_1_${request.executionId}`, socketNo: 1 });
    // Wrapped again (orra's JS SDK re-sends the bare payload, which orra's engine drops).
    expect(second).toMatchObject({ id: `message_2_${request.executionId}`, socketNo: 2 });
    expect(second.payload).toEqual(first.payload);
  });

  it('does not re-send acknowledged results after a reconnect', async () => {
    const svc = await h.connected();
    svc.start(async () => ({ ok: true }));
    engine.send(h.taskRequest('k-acked'));
    await engine.waitForFrame(resultFor('k-acked'), 'the result');
    // The ACK has been processed once a later frame (the pong) is answered.
    engine.send({ type: 'ping', serviceId: 's_fakeservice' });
    await engine.waitForFrame((p) => p.type === 'pong', 'the first pong');
    engine.dropConnections();
    await waitFor(() => engine.openSockets === 1 && engine.connections.length === 2, 'the reconnect');
    // The queue is flushed synchronously on open, so anything re-sent arrives before this pong.
    engine.send({ type: 'ping', serviceId: 's_fakeservice' });
    await engine.waitForFrame((p) => p.type === 'pong', 'the second pong', 1);
    expect(engine.payloads(resultFor('k-acked'))).toHaveLength(1);
  });

  it('keeps reconnecting past ten refused attempts and then delivers the queued result', async () => {
    const svc = await h.connected();
    let release!: () => void;
    svc.start(async () => {
      await new Promise<void>((r) => (release = r));
      return { late: true };
    });
    engine.send(h.taskRequest('k-queued'));
    await waitFor(() => release, 'the handler to start');
    engine.refuseUpgrades = true;
    engine.dropConnections();
    await waitFor(() => engine.openSockets === 0, 'the drop');
    release(); // the result is produced while disconnected and goes to the queue
    await waitFor(() => engine.refusedUpgrades >= 12, 'twelve refused reconnects');
    engine.refuseUpgrades = false;
    const frame = await engine.waitForFrame(resultFor('k-queued'), 'the queued result');
    expect(frame.id).toMatch(/^message_\d+_e_\d+$/); // wrapped
    expect(frame.payload.result).toEqual({ task: { late: true }, compensation: null });
    expect(frame.socketNo).toBe(2);
  });
});
