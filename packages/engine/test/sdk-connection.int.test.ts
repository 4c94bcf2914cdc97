import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Logger as SdkLogger } from '@orra/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';
import { newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { REPO_ROOT } from './helpers/markdown-doc.js';
import { startService } from './helpers/sdk-services.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { startTestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The real SDK's connection to a real engine when the engine goes away: a restart on the same data
 * dir (the service is back quickly), and an engine that came back with another database and so refuses
 * the service's key (the service says so and stops; the engine logs the refusal).
 */
describe('SDK connection to a real engine', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('reconnects within a quarter of the outage after an engine restart on the same data dir, and runs work again', async () => {
    const port = await freePort();
    const dataDir = tempDir('orra-restart-');
    let engine = await new EngineProcess(port, dataDir).start();
    cleanup.push(() => engine.kill());
    // The service reaches the engine through a TCP proxy, so the test decides the moment the restarted
    // engine becomes reachable (its start-up time varies by seconds on a loaded machine).
    const proxy = await new TcpProxy(port).start();
    cleanup.push(() => proxy.close());
    const { api, apiKey } = await newProject(engine.url);
    const log: { at: number; message: string }[] = [];
    const record = (message: string) => log.push({ at: Date.now(), message });
    const logger: SdkLogger = { debug: record, info: record, warn: record, error: record };
    const echo = await startService({
      orraUrl: proxy.url,
      apiKey,
      name: 'echo',
      input: { message: 'string' },
      output: { echo: 'string' },
      handler: async (task) => ({ echo: task.input.message }),
      logger,
    });
    cleanup.push(() => echo.shutdown());
    await waitFor(() => log.some((l) => l.message === 'connected'), { what: 'the first connection' });

    expect(await engine.stop()).toBe(0); // SIGTERM: the engine closes the service's socket
    const dropped = await waitFor(() => log.find((l) => l.message === 'connection closed, reconnecting'), {
      what: 'the SDK to see the drop',
    });
    proxy.cut();
    engine = await new EngineProcess(port, dataDir).start();
    // Reachable again just after one of the SDK's failed attempts: the worst moment for it, when its
    // whole next delay is still to run (with the old schedule, 1 s doubling, about as long again as
    // the engine had been away).
    const failures = log.filter((l) => l.message === 'reconnect scheduled').length;
    await waitFor(() => log.filter((l) => l.message === 'reconnect scheduled').length > failures, {
      what: 'a failed attempt after the engine is back',
      timeoutMs: 40_000,
    });
    proxy.restore();
    const back = Date.now();
    const reconnected = await waitFor(() => log.find((l) => l.at > dropped.at && l.message === 'connected'), {
      what: 'the SDK to reconnect',
      timeoutMs: 40_000,
    });
    const awayMs = back - dropped.at;
    const lateMs = reconnected.at - back;
    // The SDK's next try comes within a quarter of the time it has been away, plus 250 ms; the bound
    // leaves room for a loaded machine's late timers. (The old schedule waited about as long again.)
    expect(lateMs, `away ${awayMs} ms`).toBeLessThan(awayMs / 3 + 1000);

    const created = await api.post('/orchestrations', {
      action: { content: 'Echo after a restart' },
      plan: {
        tasks: [
          { id: 'task0', input: { message: 'back' } },
          { id: 'task1', service: echo.id, input: { message: '$task0.message' } },
        ],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const view = await waitFor(
      async () => {
        const v = (await api.get(`/orchestrations/inspections/${created.body.id}`)).body;
        return v.status === 'completed' ? v : undefined;
      },
      { what: 'the orchestration to complete' },
    );
    expect(view.results).toEqual([{ echo: 'back' }]);
  });

  it('a service whose key the engine refuses on reconnect says why and stops; the engine logs the refusal without the key', async () => {
    const port = await freePort();
    const first = await startTestEngine({ port });
    const { apiKey } = await newProject(first.url);
    const dir = tempDir('orra-refused-');
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir'); // @orra/sdk is a workspace link
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    // Two services: one with an onError handler (the process must then end by itself: no reconnect
    // timer, no socket left), one without (the refusal must end it with the reason).
    const script = (withHandler: boolean) => `
      import { initService } from '@orra/sdk';
      const logger = { debug() {}, info: (m) => console.log(m), warn: (m, f) => console.log(m, JSON.stringify(f)), error: (m, f) => console.log(m, JSON.stringify(f)) };
      const svc = initService({ name: 'echo', orraUrl: ${JSON.stringify(first.url)}, orraKey: process.env.ORRA_API_KEY, logger, persistenceOpts: { method: 'custom', customSave: async () => {}, customLoad: async () => null } });
      ${withHandler ? "svc.onError((err) => { console.log('onError:', err.status, err.code, err.message); process.exitCode = 3; });" : ''}
      await svc.register({ description: 'Echoes', schema: { input: { type: 'object', properties: { m: { type: 'string' } } }, output: { type: 'object', properties: { m: { type: 'string' } } } } });
      svc.start(async (task) => task.input);
      console.log('ready');
    `;
    writeFileSync(join(dir, 'handled.mjs'), script(true));
    writeFileSync(join(dir, 'unhandled.mjs'), script(false));
    const run = (file: string) => {
      const child = spawn(process.execPath, [file], {
        cwd: dir,
        env: { ...process.env, ORRA_API_KEY: apiKey },
      });
      cleanup.push(() => child.kill('SIGKILL'));
      const proc = { output: '', exit: new Promise<number | null>((r) => child.once('exit', r)) };
      child.stdout.on('data', (c: Buffer) => (proc.output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (proc.output += c.toString()));
      return proc;
    };
    const handled = run('handled.mjs');
    const unhandled = run('unhandled.mjs');
    await waitFor(() => handled.output.includes('ready') && unhandled.output.includes('ready'), {
      what: `both services to connect (${handled.output}${unhandled.output})`,
    });

    // The engine comes back on the same address with another database: the key means nothing to it.
    await first.dispose();
    const engineLog: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        engineLog.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const second = await startTestEngine({ port }, undefined, createLogger('info', destination));
    cleanup.push(() => second.dispose());

    const deadline = (proc: { output: string; exit: Promise<number | null> }) =>
      Promise.race([
        proc.exit,
        new Promise<string>((r) => setTimeout(() => r(`still running: ${proc.output}`), 20_000)),
      ]);
    expect(await deadline(handled), handled.output).toBe(3);
    expect(handled.output).toMatch(
      /onError: 401 Orra:Unauthenticated the orra engine at http:\/\/127\.0\.0\.1:\d+ refused the API key \(HTTP 401: unknown API key\)/,
    );
    expect(handled.output).toContain('engine refused the API key, not reconnecting');
    expect(await deadline(unhandled), unhandled.output).toBe(1);
    expect(unhandled.output).toMatch(
      /OrraApiError: the orra engine at .* refused the API key \(HTTP 401: unknown API key\); the service stopped reconnecting: check orraKey/,
    );

    const allRefusals = engineLog.map((l) => JSON.parse(l)).filter((l) => l.msg === 'websocket upgrade refused');
    // A reconnect that lands while the second engine is still resuming its work is refused with a 503
    // ("starting"), which the SDK rightly retries; only the 401s must be one per service.
    for (const r of allRefusals.filter((l) => l.status !== 401)) expect(r).toMatchObject({ status: 503, code: 'Orra:PlanEngineStarting' });
    const refusals = allRefusals.filter((l) => l.status === 401);
    expect(refusals).toHaveLength(2); // one attempt each: neither service retried after the 401
    expect(refusals[0]).toMatchObject({
      level: 40,
      status: 401,
      code: 'Orra:Unauthenticated',
      reason: 'unknown API key',
    });
    expect(refusals[0].serviceId).toMatch(/^s_/);
    expect(engineLog.join('\n')).not.toContain(apiKey);
    expect(engineLog.join('\n')).not.toContain(apiKey.slice(-12));
  });
});
