import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { summarize } from './stats.js';

/** Measures the round trip of a small JSON message to a WebSocket echo server in another process. */
export async function measureRawWsRoundTrip(count = 3000): Promise<ReturnType<typeof summarize> & { samples: number[] }> {
  const child = fork(fileURLToPath(new URL('./ws-echo-server.js', import.meta.url)), [], { stdio: 'inherit' });
  const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((r) => ws.once('open', r));
  const message = JSON.stringify({ type: 'task_request', id: 'task1', input: { value: 'x'.repeat(64) }, executionId: 'e_x', idempotencyKey: 'k'.repeat(64) });
  const samples: number[] = [];
  for (let i = 0; i < count + 200; i++) {
    const start = performance.now();
    ws.send(message);
    await new Promise((r) => ws.once('message', r));
    if (i >= 200) samples.push(performance.now() - start); // the first 200 warm up
  }
  ws.close();
  await stopChild(child);
  return { ...summarize(samples), samples };
}

/**
 * Messages per second that two processes can bounce over one WebSocket with `inFlight` outstanding: the
 * same small JSON message to the echo server, parsed and re-serialised there. Every task of an
 * orchestration is at least one such round trip (request out, result back), so this rate ÷ tasks per
 * orchestration is the ceiling no engine could pass on this machine with its services in one process.
 */
export async function measureRawWsThroughput(durationMs = 3000, inFlight = 64): Promise<{ perS: number }> {
  const child = fork(fileURLToPath(new URL('./ws-echo-server.js', import.meta.url)), [], { stdio: 'inherit' });
  const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((r) => ws.once('open', r));
  const message = JSON.stringify({ type: 'task_request', id: 'task1', input: { value: 'x'.repeat(64) }, executionId: 'e_x', idempotencyKey: 'k'.repeat(64) });
  let received = 0;
  let startedAt = 0;
  let endAt = Infinity;
  const done = new Promise<void>((resolve) => {
    ws.on('message', () => {
      received += 1;
      if (startedAt === 0 && received === 1000) {
        // Warmed up: count from here.
        received = 0;
        startedAt = performance.now();
        endAt = startedAt + durationMs;
      }
      if (performance.now() >= endAt) resolve();
      else ws.send(message);
    });
  });
  for (let i = 0; i < inFlight; i++) ws.send(message);
  await done;
  const perS = Math.round(received / ((performance.now() - startedAt) / 1000));
  ws.close();
  await stopChild(child);
  return { perS };
}

/**
 * Disconnects the echo server and waits for it to exit: a process tearing down takes milliseconds of CPU,
 * and on 2 cores that would land on whatever the caller measures next (the e2e chains' chain of 1, measured
 * right after this reference in every round, came out slower than the chain of 3 before this wait).
 */
async function stopChild(child: ReturnType<typeof fork>): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.disconnect();
  await exited;
}
