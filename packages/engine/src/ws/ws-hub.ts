import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ERROR_CODES,
  MAX_FRAME_BYTES,
  shortId,
  textOverflowBytes,
  type ErrorCode,
  type SdkPayload,
  type ServerMessage,
} from '@orra/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import { EngineError } from '../errors/engine-error.js';
import type { Logger } from '../logging/logger.js';
import { parseBearerToken } from '../projects/bearer-token.js';
import type { ServiceConnections } from '../orchestration/service-connections.js';
import type { ProjectService } from '../projects/project-service.js';
import type { ServiceRegistry } from '../services/service-registry.js';
import { refuseUpgrade } from './upgrade-refusal.js';

/** What the hub reports to the domain. */
export interface ServiceEvents {
  /** Resolves once the message's effect is durable; only then is the message ACKed. */
  handlePayload(serviceId: string, payload: SdkPayload): Promise<void>;
  onServiceConnected(serviceId: string, socketId: string): void;
  onSocketClosed(serviceId: string, socketId: string): void;
}

export interface WsHubOptions {
  /** Protocol ping period; a socket that misses one pong is closed (dead within 2 periods). */
  pingIntervalMs: number;
  /** orra's application-level JSON ping period (its SDKs answer with a wrapped pong). */
  appPingIntervalMs: number;
}

interface Connection {
  id: string;
  serviceId: string;
  ws: WebSocket;
  isAlive: boolean;
}

/**
 * The `/ws` endpoint speaking orra's protocol. Unlike orra: connections are tracked per socket, so an
 * old socket closing never orphans a newer one; several sockets of one service share its tasks
 * (round-robin); frames up to 10 MiB; unwrapped payloads (orra's JS SDK after a reconnect) accepted.
 */
export class WsHub implements ServiceConnections {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly byService = new Map<string, Connection[]>();
  private readonly roundRobin = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private isClosing = false;
  /** Upgrades are refused (503) until the engine has resumed its work: see `acceptConnections`. */
  private isAccepting = false;
  private events: ServiceEvents | undefined;

  constructor(
    private readonly projects: ProjectService,
    private readonly services: ServiceRegistry,
    private readonly log: Logger,
    private readonly options: WsHubOptions,
  ) {}

  /** Connects the hub to the domain and to the HTTP server's upgrade requests. */
  attach(server: Server, events: ServiceEvents): void {
    this.events = events;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.upgrade(req, socket, head);
    });
    const ping = setInterval(() => this.checkLiveness(), this.options.pingIntervalMs);
    const appPing = setInterval(() => this.sendAppPings(), this.options.appPingIntervalMs);
    ping.unref();
    appPing.unref();
    this.timers.push(ping, appPing);
  }

  /** From now on, upgrades are accepted (the engine has resumed what was in flight). */
  acceptConnections(): void {
    this.isAccepting = true;
  }

  isConnected(serviceId: string): boolean {
    return (this.byService.get(serviceId)?.length ?? 0) > 0;
  }

  /** Open sockets of the service on this process. */
  socketCount(serviceId: string): number {
    return this.byService.get(serviceId)?.length ?? 0;
  }

  send(serviceId: string, message: ServerMessage): string | undefined {
    const conns = this.byService.get(serviceId);
    if (!conns || conns.length === 0) return undefined;
    const next = (this.roundRobin.get(serviceId) ?? 0) % conns.length;
    this.roundRobin.set(serviceId, next + 1);
    const conn = conns[next] as Connection;
    // The runners refuse what cannot be sent before they commit to sending it; this is the last line, so
    // that no message over the frame limit ever reaches a service (which would close with 1009).
    const text = JSON.stringify(message);
    const overflow = textOverflowBytes(text);
    if (overflow !== undefined) {
      this.log.error({ serviceId, type: message.type, bytes: overflow }, 'refused to send a message over the frame limit');
      return undefined;
    }
    conn.ws.send(text);
    return conn.id;
  }

  /** Number of open service sockets. */
  get connectionCount(): number {
    let n = 0;
    for (const conns of this.byService.values()) n += conns.length;
    return n;
  }

  /** Closes every socket with 1001 (going away) so SDKs reconnect to the next engine process. */
  close(): void {
    this.isClosing = true;
    for (const t of this.timers) clearInterval(t);
    for (const conns of this.byService.values()) for (const c of conns) c.ws.close(1001, 'engine shutting down');
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  /**
   * Accepts a service's socket, or refuses it with a status, a JSON error body and a log line saying
   * why (never the key: the URL carries it, so neither is logged). Only an unknown key is a 401: a
   * storage failure while checking is a 503, which SDKs retry, where a 401 makes ours stop.
   */
  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const serviceId = (url.searchParams.get('serviceId') ?? '').slice(0, 100);
    // orra's SDKs put the key in the query; a client that can set headers may send it as a bearer token.
    const apiKey = url.searchParams.get('apiKey') || parseBearerToken(req.headers.authorization) || '';
    const refuse = (status: number, code: ErrorCode, reason: string, err?: unknown): void => {
      const fields = { status, code, reason, serviceId, remoteAddress: req.socket.remoteAddress };
      if (err) this.log.error({ ...fields, err }, 'websocket upgrade refused');
      else this.log.warn(fields, 'websocket upgrade refused');
      refuseUpgrade(socket, status, status < 500 ? { code, message: reason } : undefined);
    };
    if (url.pathname !== '/ws') {
      return refuse(404, ERROR_CODES.ROUTE_NOT_FOUND, `no WebSocket endpoint at ${url.pathname.slice(0, 100)}: services connect to /ws`);
    }
    if (this.isClosing) return refuse(503, ERROR_CODES.SHUTTING_DOWN, 'the engine is shutting down: reconnect');
    if (!this.isAccepting) return refuse(503, ERROR_CODES.STARTING, 'the engine is starting (resuming in-flight work): reconnect');
    if (apiKey === '') return refuse(401, ERROR_CODES.UNAUTHENTICATED, 'missing API key: connect to /ws?serviceId=s_…&apiKey=sk-orra-…');
    try {
      let projectId: string;
      try {
        const caller = await this.projects.authenticate(apiKey);
        // A service connection takes and finishes tasks: that changes orchestrations, so not with a read key.
        if (caller.role === 'read') {
          return refuse(403, ERROR_CODES.READ_ONLY_KEY, 'this API key is read-only (role "read"): services and agents connect with an "operate" key');
        }
        projectId = caller.projectId;
      } catch (err) {
        if (err instanceof EngineError && err.code === ERROR_CODES.UNAUTHENTICATED) return refuse(401, err.code, err.message);
        throw err;
      }
      const service = await this.services.get(projectId, serviceId.toLowerCase());
      if (!service) {
        return refuse(403, ERROR_CODES.UNKNOWN_SERVICE, `service ${JSON.stringify(serviceId)} is not registered in the API key's project: register it first`);
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(service.id, ws));
    } catch (err) {
      refuse(503, ERROR_CODES.INTERNAL, 'the engine could not check the connection: retry', err);
    }
  }

  private adopt(serviceId: string, ws: WebSocket): void {
    const conn: Connection = { id: `sock_${shortId()}`, serviceId, ws, isAlive: true };
    const list = this.byService.get(serviceId) ?? [];
    list.push(conn);
    this.byService.set(serviceId, list);
    const log = this.log.child({ serviceId, socketId: conn.id });
    log.info('service connected');
    ws.on('pong', () => {
      conn.isAlive = true;
    });
    ws.on('message', (data, isBinary) => {
      conn.isAlive = true;
      void this.receive(conn, isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString(), log);
    });
    ws.on('error', (err) => log.warn({ err }, 'service socket error'));
    ws.on('close', (code) => {
      const remaining = (this.byService.get(serviceId) ?? []).filter((c) => c !== conn);
      if (remaining.length > 0) this.byService.set(serviceId, remaining);
      else this.byService.delete(serviceId);
      log.info({ code }, 'service disconnected');
      this.events?.onSocketClosed(serviceId, conn.id);
    });
    this.events?.onServiceConnected(serviceId, conn.id);
  }

  private async receive(conn: Connection, text: string, log: Logger): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return log.warn('dropped a frame that is not JSON');
    }
    if (message === null || typeof message !== 'object') return log.warn('dropped a frame that is not a JSON object');
    const m = message as Record<string, unknown>;
    const isWrapped = m.payload !== null && typeof m.payload === 'object' && !Array.isArray(m.payload);
    // orra's JS SDK re-sends queued messages without the {id, payload} envelope: accept those as payloads.
    const payload = (isWrapped ? m.payload : typeof m.type === 'string' ? m : undefined) as SdkPayload | undefined;
    if (!payload || typeof payload.type !== 'string') return log.warn('dropped a frame without a payload');
    try {
      await this.events?.handlePayload(conn.serviceId, payload);
    } catch (err) {
      // Not ACKed: the SDK re-sends it, and the idempotency key makes the re-send harmless.
      return log.error({ err, type: payload.type }, 'failed to handle service message');
    }
    if (isWrapped && typeof m.id === 'string' && m.id !== 'pong' && conn.ws.readyState === WebSocket.OPEN) {
      conn.ws.send(JSON.stringify({ type: 'ACK', id: m.id }));
    }
  }

  private checkLiveness(): void {
    for (const conns of this.byService.values()) {
      for (const conn of conns) {
        if (!conn.isAlive) {
          this.log.warn({ serviceId: conn.serviceId, socketId: conn.id }, 'service socket missed a ping; closing it');
          conn.ws.terminate();
          continue;
        }
        conn.isAlive = false;
        conn.ws.ping();
      }
    }
  }

  private sendAppPings(): void {
    for (const [serviceId, conns] of this.byService) {
      for (const conn of conns) conn.ws.send(JSON.stringify({ type: 'ping', serviceId }));
    }
  }
}
