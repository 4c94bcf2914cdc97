import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { waitFor } from './wait-for.js';

/** One frame the SDK sent. */
export interface Received {
  /** Wrapper id, undefined for an unwrapped frame. */
  id: string | undefined;
  payload: Record<string, any>;
  socketNo: number;
}

/** A registration request the SDK made. */
export interface Registration {
  path: string;
  authorization: string | undefined;
  body: Record<string, any>;
}

type RegisterReply = (reg: Registration) => { status: number; body: unknown };

/**
 * Plays the engine's side of the protocol for SDK tests: real HTTP registration and a real `ws`
 * server on port 0 that records every frame and ACKs wrapped messages (switchable).
 */
export class FakeEngine {
  readonly registrations: Registration[] = [];
  readonly received: Received[] = [];
  /** Query of every accepted upgrade, in order. */
  readonly connections: URLSearchParams[] = [];
  /** When each upgrade was accepted (ms since the epoch), in order. */
  readonly acceptedAt: number[] = [];
  /** Close codes of sockets the SDK closed, in order. */
  readonly closeCodes: number[] = [];
  /** Upgrades refused while `refuseUpgrades` was on. */
  refusedUpgrades = 0;
  autoAck = true;
  refuseUpgrades = false;
  /** How upgrades are refused: the status, and the body (the engine's JSON error, or none). */
  refusal: { status: number; body: string } = { status: 503, body: '' };
  /** Close every accepted socket at once (an engine that accepts and drops). */
  dropOnAccept = false;
  registerReply: RegisterReply = (reg) => ({
    status: 200,
    body: {
      id: reg.body.id ?? 's_fakeservice',
      name: reg.body.name,
      status: 'registered',
      version: this.registrations.length,
    },
  });
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets: WebSocket[] = [];
  private port = 0;

  constructor() {
    this.http = createServer((req, res) => {
      void this.handleHttp(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (this.refuseUpgrades) {
        this.refusedUpgrades += 1;
        const { status, body } = this.refusal;
        socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
    });
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  /** Sends a bare JSON frame on the newest open socket. */
  send(message: unknown): void {
    const socket = this.sockets.at(-1);
    if (!socket || socket.readyState !== socket.OPEN) throw new Error('no open socket');
    socket.send(JSON.stringify(message));
  }

  /** Number of currently open sockets. */
  get openSockets(): number {
    return this.sockets.filter((s) => s.readyState === s.OPEN).length;
  }

  /** Payloads received so far that match. */
  payloads(match: (p: Record<string, any>) => boolean): Record<string, any>[] {
    return this.received.filter((r) => match(r.payload)).map((r) => r.payload);
  }

  /** Waits for a received frame whose payload matches, beyond the first `skip` matches. */
  async waitForFrame(match: (p: Record<string, any>) => boolean, what: string, skip = 0): Promise<Received> {
    return waitFor(() => this.received.filter((r) => match(r.payload))[skip], what);
  }

  /** Drops every socket without a close handshake, like a network failure. */
  dropConnections(): void {
    for (const s of this.sockets) s.terminate();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const socketNo = this.sockets.push(ws);
    this.connections.push(new URL(req.url ?? '/', 'http://x').searchParams);
    this.acceptedAt.push(Date.now());
    if (this.dropOnAccept) ws.terminate();
    ws.on('close', (code) => this.closeCodes.push(code));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, any>;
      const wrapped = typeof frame.payload === 'object' && frame.payload !== null;
      this.received.push({
        id: wrapped ? frame.id : undefined,
        payload: wrapped ? frame.payload : frame,
        socketNo,
      });
      if (wrapped && this.autoAck && frame.id !== 'pong')
        ws.send(JSON.stringify({ type: 'ACK', id: frame.id }));
    });
  }

  private async handleHttp(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const reg = {
      path: req.url ?? '',
      authorization: req.headers.authorization,
      body: JSON.parse(text || '{}'),
    };
    this.registrations.push(reg);
    return this.registerReply(reg);
  }
}
