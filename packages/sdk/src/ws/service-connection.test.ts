import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrraApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FakeEngine } from '../test-support/fake-engine.js';
import { resultFor, ServiceHarness, TEST_KEY, TEST_SCHEMA } from '../test-support/service-harness.js';
import { waitFor } from '../test-support/wait-for.js';
import { Outbox } from './outbox.js';
import { ServiceConnection, STABLE_CONNECTION_MS } from './service-connection.js';

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

/** The engine's answer to an unknown key, as it sends it. */
const UNKNOWN_KEY = {
  status: 401,
  body: JSON.stringify({ error: { kind: 'unauthenticated', code: 'Orra:Unauthenticated', message: 'unknown API key' } }),
};

/** A logger that keeps every line. */
function recordingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push({ level, message, fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

describe('a refused API key', () => {
  it('rejects register() with the engine\'s reason when the first connection is refused with 401', async () => {
    engine.refuseUpgrades = true;
    engine.refusal = UNKNOWN_KEY;
    const { lines, logger } = recordingLogger();
    const svc = h.create({ logger });
    const error = await svc.register({ description: 'Echoes', schema: TEST_SCHEMA }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(OrraApiError);
    expect(error).toMatchObject({ status: 401, code: 'Orra:Unauthenticated' });
    expect((error as Error).message).toMatch(/refused the API key \(HTTP 401: unknown API key\).*stopped reconnecting/);
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ message: 'engine refused the API key, not reconnecting', fields: expect.objectContaining({ status: 401, reason: 'unknown API key' }) }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('key+with'); // the key never reaches the log
    expect(engine.refusedUpgrades).toBe(1);
  });

  it('stops reconnecting and calls the onError handler when a reconnect is refused with 401; register() starts again', async () => {
    const svc = await h.connected();
    const errors: unknown[] = [];
    svc.onError((err) => errors.push(err));
    engine.refuseUpgrades = true;
    engine.refusal = UNKNOWN_KEY;
    engine.dropConnections();
    await waitFor(() => errors.length === 1, 'the error');
    expect(errors[0]).toMatchObject({ status: 401, code: 'Orra:Unauthenticated' });
    expect(engine.refusedUpgrades).toBe(1);
    engine.refuseUpgrades = false;
    await svc.register({ description: 'Echoes', schema: TEST_SCHEMA });
    await waitFor(() => engine.openSockets === 1, 'the new connection');
  });

  it('keeps reconnecting, with the engine\'s reason in the log, when the upgrade is refused for another cause', async () => {
    const { lines, logger } = recordingLogger();
    await h.connected({}, { logger });
    engine.refuseUpgrades = true;
    engine.refusal = {
      status: 503,
      body: JSON.stringify({ error: { kind: 'invalid request error', code: 'Orra:PlanEngineShuttingDown', message: 'the engine is shutting down: reconnect' } }),
    };
    engine.dropConnections();
    await waitFor(() => engine.refusedUpgrades >= 3, 'three refused reconnects');
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'engine refused the connection, reconnecting',
        fields: expect.objectContaining({ status: 503, reason: 'the engine is shutting down: reconnect' }),
      }),
    );
    engine.refuseUpgrades = false;
    await waitFor(() => engine.openSockets === 1, 'the reconnect');
  });
});

describe('reconnect backoff', () => {
  const backoff = { initialDelayMs: 20, multiplier: 2, maxDelayMs: 5000, jitterRatio: 0 };

  it('keeps backing off while the engine accepts and at once drops the socket', async () => {
    engine.dropOnAccept = true;
    await h.create({ reconnectBackoff: backoff }).register({ description: 'Echoes', schema: TEST_SCHEMA });
    await waitFor(() => engine.acceptedAt.length >= 5, 'five connections', 10_000);
    const gaps = engine.acceptedAt.slice(1, 5).map((t, i) => t - engine.acceptedAt[i]!);
    // 20, 40, 80, 160 ms: a flapping link is not retried at the first delay forever.
    expect(gaps[3]).toBeGreaterThanOrEqual(160);
  });

  it('starts again from the first delay after a connection that stayed up', async () => {
    let clock = 0;
    const { lines, logger } = recordingLogger();
    const connection = new ServiceConnection({
      baseUrls: [engine.url],
      serviceId: 's_fakeservice',
      apiKey: TEST_KEY,
      outbox: new Outbox({ ackTimeoutMs: 5000, maxQueued: 100, logger }),
      backoff,
      logger,
      onMessage: () => {},
      onRefused: () => {},
      now: () => clock,
    });
    h.onStop(() => connection.close());
    const delays = () => lines.filter((l) => l.message === 'reconnect scheduled').map((l) => l.fields!.delayMs);
    await connection.start();
    for (let drop = 1; drop <= 3; drop++) {
      engine.dropConnections();
      await waitFor(() => engine.openSockets === 1 && engine.connections.length === drop + 1, 'the reconnect');
    }
    expect(delays()).toEqual([20, 40, 80]);
    // The engine sees the socket before the SDK's open handler runs: wait until the SDK itself says it
    // is connected, or the clock would move before the connection's start is read.
    const connected = () => lines.filter((l) => l.message === 'connected').length;
    await waitFor(() => connected() === 4, 'the SDK to see its fourth connection open');
    clock += STABLE_CONNECTION_MS;
    engine.dropConnections();
    await waitFor(() => delays().length === 4, 'the next reconnect');
    expect(delays()[3]).toBe(20);
  });
});
