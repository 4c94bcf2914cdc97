import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { waitFor } from './helpers/wait-for.js';

const CONSUMER = resolve(import.meta.dirname, '../../../examples/event-consumer.mjs');

// examples/event-consumer.mjs as a process against an engine process: it is SIGKILLed, the engine is
// SIGKILLed and restarted, and the file it writes still holds every sequence once, in order.
describe('examples/event-consumer.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orra-consumer-'));
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never misses or repeats a sequence across its own kill -9 and an engine restart', async () => {
    const port = await freePort();
    const dataDir = join(dir, 'engine');
    let engine = await new EngineProcess(port, dataDir).start();
    cleanup.push(() => engine.kill());
    const { api, apiKey } = await newProject(engine.url);
    const out = join(dir, 'events.jsonl');
    const startConsumer = (): ChildProcess => {
      const child = spawn(process.execPath, [CONSUMER, out], { env: { ...process.env, ORRA_URL: engine.url, ORRA_API_KEY: apiKey }, stdio: 'ignore' });
      cleanup.push(() => child.kill('SIGKILL'));
      return child;
    };
    const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
    let service = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    const produce = async (n: number) => {
      for (let i = 0; i < n; i++) expect((await api.post('/orchestrations', chainPlan([service.id]))).status).toBe(202);
    };

    let consumer = startConsumer();
    await produce(20);
    await waitFor(() => lines().length >= 10, { what: 'the consumer to write events' });
    consumer.kill('SIGKILL'); // mid-stream, possibly mid-write
    await produce(20); // while it is away
    consumer = startConsumer();
    await waitFor(() => lines().length >= 40, { what: 'the restarted consumer to catch up', timeoutMs: 30_000 });

    // The engine dies and comes back on the same data; the consumer reconnects by itself.
    await engine.kill();
    service.close();
    engine = await new EngineProcess(port, dataDir).start();
    service = await new RawService(api, { name: 'inc', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    cleanup.push(() => service.close());
    await produce(20);
    await waitFor(() => lines().length >= 60, { what: 'events after the engine restart', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500)); // anything extra (a repeat) would show up now
    expect(lines().map((l) => Number(l.sequence))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(consumer.exitCode).toBeNull(); // still following
  }, 180_000);
});
