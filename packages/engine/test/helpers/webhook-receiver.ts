import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
  path: string;
  at: number;
}

/** What to answer: a status (and optional body/headers), or `hang` to never answer. */
export type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/**
 * A real HTTP webhook receiver on loopback for tests. `reply` decides each answer (by call number), now
 * or later (a promise holds the request open until it settles); `close()` takes it down (port closed),
 * `listen()` brings it back on the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  reply: (hook: ReceivedWebhook, n: number) => Reply | Promise<Reply> = () => ({ status: 200, body: '{"ok":true}' });
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();

  constructor(port = 0) {
    this.port = port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async listen(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const hook: ReceivedWebhook = { headers: req.headers, body, json, path: req.url ?? '', at: Date.now() };
        this.received.push(hook);
        void Promise.resolve(this.reply(hook, this.received.length)).then((r) => {
          if (r === 'hang') return void this.hanging.add(res);
          if (res.destroyed) return;
          res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
          res.end(r.body ?? '');
        });
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Events received with this event id (retries and redeliveries included). */
  byEventId(eventId: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.headers['webhook-id'] === eventId);
  }

  /** Closes the port and every open connection. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((r) => server.close(r));
  }
}
