import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrraClient } from '@orra/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { startService } from './helpers/sdk-services.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * A TCP proxy in front of the engine that, on the first bytes of the engine's answer to a
 * `POST /orchestrations`, kills the engine with SIGKILL and cuts the client's connection without passing
 * anything on: the submission is committed (the engine answers only after its transaction), and the
 * client never hears so. Connections made after that wait, unanswered, until `release()` (once the
 * engine is back), so the client's retry reaches the restarted engine.
 */
class KillingProxy {
  private readonly server: Server;
  private readonly held: Socket[] = [];
  private readonly sockets = new Set<Socket>();
  private isHolding = false;
  private isArmed = true;
  /** The `Idempotency-Key` header of each `POST /orchestrations` that passed through. */
  readonly keys: string[] = [];
  readonly fired: Promise<void>;
  private fire!: () => void;

  constructor(
    private readonly targetPort: number,
    private readonly kill: () => Promise<void>,
  ) {
    this.fired = new Promise((r) => (this.fire = r));
    this.server = createServer((client) => {
      this.track(client);
      client.pause();
      if (this.isHolding) this.held.push(client);
      else this.pipe(client);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Lets the connections held since the kill through to the (restarted) engine. */
  release(): void {
    this.isHolding = false;
    for (const client of this.held.splice(0)) this.pipe(client);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.track(upstream);
    let isSubmission = false;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (text.startsWith('POST /orchestrations ')) {
        isSubmission = true;
        this.keys.push(/\r\nidempotency-key: *([^\r]*)\r\n/i.exec(text)?.[1] ?? '');
      }
      upstream.write(chunk);
    });
    client.resume();
    upstream.on('data', (chunk: Buffer) => {
      if (isSubmission && this.isArmed) {
        this.isArmed = false;
        this.isHolding = true;
        client.destroy();
        void this.kill().then(this.fire);
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

describe('a submission whose answer was lost in an engine crash', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('is retried by the SDK client with the same Idempotency-Key, answered with the committed orchestration, and runs once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'orra-submit-crash-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let engine = await new EngineProcess(port, dataDir).start(60_000);
    cleanup.push(() => engine.kill());
    const { api, apiKey } = await newProject(engine.url);
    const runs: string[] = [];
    const charge = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'charge',
      input: { amount: 'number' },
      output: { chargeId: 'string' },
      handler: async (t) => {
        runs.push(t.id);
        return { chargeId: `ch-${t.input.amount}` };
      },
    });
    cleanup.push(() => charge.shutdown());

    const proxy = await new KillingProxy(port, () => engine.kill()).start();
    cleanup.push(() => proxy.close());
    // Generous: the retry waits in the proxy until the restarted engine is up (slow on a loaded machine).
    const client = new OrraClient({
      baseUrl: proxy.url,
      apiKey,
      timeoutMs: 180_000,
      submitRetryDelaysMs: [100, 200, 400],
    });
    const body = {
      action: { content: 'charge the card once' },
      plan: {
        tasks: [
          { id: 'task0', input: { amount: 42 } },
          { id: 'task1', service: charge.id, input: { amount: '$task0.amount' } },
        ],
      },
    };
    const submitted = client.createOrchestration(body);

    await proxy.fired; // committed, engine killed, the client's connection cut
    engine = await new EngineProcess(port, dataDir).start(60_000);
    proxy.release();
    const answer = await submitted;

    expect(proxy.keys).toHaveLength(2);
    expect(proxy.keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(proxy.keys[1]).toBe(proxy.keys[0]);
    const list = (await api.get('/orchestrations')).body as Record<string, { id: string }[]>;
    const ids = Object.values(list)
      .flat()
      .map((o) => o.id);
    expect(ids).toEqual([answer.id]); // the one the first (lost) answer was about: no second orchestration
    const done = await waitFor(
      async () => {
        const o = (await api.get(`/orchestrations/${answer.id}`)).body;
        return o.status === 'completed' ? o : undefined;
      },
      { what: 'the orchestration to complete after the restart', timeoutMs: 60_000 },
    );
    expect(done.results).toEqual([{ chargeId: 'ch-42' }]);
    expect(runs).toEqual(['task1']);

    // The key survived the crash with the orchestration: another body under it is refused.
    const reused = await fetch(`${engine.url}/orchestrations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${apiKey}`,
        'Idempotency-Key': proxy.keys[0]!,
      },
      body: JSON.stringify({ ...body, action: { content: 'charge the card twice' } }),
    });
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as any).error.code).toBe('Orra:IdempotencyKeyReused');
    expect(runs).toEqual(['task1']);
  }, 240_000);
});
