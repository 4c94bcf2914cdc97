import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * A receiver that records how many requests were in flight at it when each arrived. While `isDown` it
 * answers 503 at once; once up it holds each request `holdMs` before answering 200, so requests the
 * engine allows out together overlap here and show the engine's window.
 */
class ConcurrencyReceiver {
  isDown = true;
  inFlight = 0;
  /** For each request answered 200 (once up), in arrival order: requests in flight including itself. */
  readonly arrivals: { sequence: number; inFlight: number }[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();

  constructor(private readonly holdMs: number) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks`;
  }

  async listen(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (this.isDown) return void res.writeHead(503).end('down');
        this.inFlight += 1;
        this.arrivals.push({ sequence: Number(req.headers['x-orra-sequence']), inFlight: this.inFlight });
        this.held.add(res);
        setTimeout(() => {
          this.held.delete(res);
          this.inFlight -= 1;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        }, this.holdMs);
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise((r) => this.server!.close(r));
  }
}

// The breaker's recovery drains held events with slow start (issue 12, item 5): 1, 2, 4 … requests out at
// once up to the endpoint's concurrency, rather than the whole window at once, so that a receiver coming
// back is not flattened. Seen at a real receiver (SQLite, or PostgreSQL with ORRA_TEST_DATABASE=postgres).
describe('webhook breaker recovery: slow start', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('ramps the requests in flight at the receiver up after recovery instead of jumping to the full window', async () => {
    const WINDOW = 8;
    const EVENTS = 24;
    const engine: TestEngine = await startTestEngine({
      webhookMaxConcurrencyPerEndpoint: WINDOW,
      webhookProbeSchedule: '50ms',
      webhookRetrySchedule: '0s,5ms,10s,10s,10s',
    });
    cleanup.push(() => engine.dispose());
    const { api } = await newProject(engine.url);
    const receiver = await new ConcurrencyReceiver(150).listen();
    cleanup.push(() => receiver.close());
    const hook = await api.post('/webhooks', { url: receiver.url });
    expect(hook.status).toBe(201);
    const inc = await new RawService(api, {
      name: 'inc',
      onTask: (input) => ({ output: { n: input.n + 1 } }),
    }).start();
    cleanup.push(() => inc.close());

    // One event per orchestration, so no orchestration's order holds any of them back on the way out.
    for (let i = 0; i < EVENTS; i++) {
      const res = await api.post('/orchestrations', chainPlan([inc.id]));
      expect(res.status).toBe(202);
    }
    await waitFor(
      async () => {
        const e = (await api.get('/webhooks')).body.find((x: any) => x.id === hook.body.id);
        return e.heldEvents === EVENTS && ['failing', 'probing'].includes(e.state) ? e : undefined;
      },
      { what: 'every event held by a tripped breaker', timeoutMs: 20_000 },
    );

    receiver.isDown = false;
    await waitFor(() => receiver.arrivals.length === EVENTS || undefined, {
      what: 'every held event delivered',
      timeoutMs: 20_000,
    });
    const inFlight = receiver.arrivals.map((a) => a.inFlight);
    // The probe goes alone; its success opens a window of 1, the next success 2, then 4, then the full
    // window. The first four requests never have more than two out at once; without slow start the drain
    // sends the full window together right after the probe (1, 1, 2, 3 …).
    expect(inFlight[0]).toBe(1);
    expect(inFlight[1]).toBe(1);
    expect(Math.max(...inFlight.slice(0, 4))).toBeLessThanOrEqual(2);
    // …and it does ramp up: the endpoint's whole window is reached once the drain has proved itself.
    expect(Math.max(...inFlight)).toBe(WINDOW);
    const firstPeak = inFlight.indexOf(WINDOW);
    expect(firstPeak).toBeGreaterThanOrEqual(1 + 1 + 2); // after the probe and the 1- and 2-request windows
    // Every held event arrived exactly once.
    expect(new Set(receiver.arrivals.map((a) => a.sequence)).size).toBe(EVENTS);
  }, 60_000);
});
