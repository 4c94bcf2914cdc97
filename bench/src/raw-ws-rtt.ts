import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { summarize } from './stats.js';

/** Measures the round trip of a small JSON message to a WebSocket echo server in another process. */
export async function measureRawWsRoundTrip(count = 3000): Promise<ReturnType<typeof summarize>> {
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
  child.disconnect();
  return summarize(samples);
}
