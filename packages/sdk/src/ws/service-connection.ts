import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { MAX_FRAME_BYTES, type SdkPayload } from '@orra/protocol';
import { backoffDelayMs, type BackoffOptions } from '../backoff.js';
import { apiErrorFromResponse, OrraApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Outbox } from './outbox.js';
import { WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';
import { redactWebSocketUrl, toWebSocketUrl } from './websocket-url.js';

/** What a ServiceConnection needs. */
export interface ServiceConnectionOptions {
  /** Engine base URLs (http/https); reconnects move on to the next one, round-robin. */
  baseUrls: readonly string[];
  /** Which of `baseUrls` to try first. */
  firstUrlIndex?: number;
  serviceId: string;
  apiKey: string;
  outbox: Outbox;
  backoff: BackoffOptions;
  logger: Logger;
  /** Receives every parsed engine message other than ACK and ping. */
  onMessage: (message: Record<string, unknown>) => void;
  /**
   * Called when the engine refuses the API key (HTTP 401 on the upgrade) after the first attempt has
   * settled; reconnecting has stopped. A refusal of the first attempt rejects `start()` instead.
   */
  onRefused: (error: OrraApiError) => void;
  WebSocketImpl?: WebSocketConstructor;
  random?: () => number;
  now?: () => number;
}

/** Handshake limit for the default `ws` client, so a black-holed connect cannot hang forever. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * A connection that stayed open this long was a good one: the next drop starts the backoff afresh.
 * One that closed sooner (an engine that accepts and then drops the socket, again and again) keeps
 * backing off, so a flapping link is not hammered every quarter second.
 */
export const STABLE_CONNECTION_MS = 5_000;

/** The most of a refused upgrade's body that is read for its error message. */
const MAX_REFUSAL_BODY_BYTES = 8 * 1024;

/**
 * One service's link to the engine: opens the socket, answers app pings, routes ACKs to the outbox,
 * and reconnects after an unexpected close with capped exponential backoff — forever (orra's SDK
 * gives up after 10 attempts, leaving a live process that silently never works again), except when
 * the engine refuses the API key: no number of retries with the same key can succeed, so that is
 * reported and reconnecting stops.
 */
export class ServiceConnection {
  private socket: WebSocketLike | undefined;
  private attempt = 0;
  private urlIndex: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private firstAttempt: Promise<void> | undefined;
  private settleFirstAttempt: ((error?: OrraApiError) => void) | undefined;
  private socketClosed: Promise<void> = Promise.resolve();
  /** How the engine answered the current socket's upgrade when it was not a 101 (default `ws` only). */
  private refusal: OrraApiError | undefined;

  constructor(private readonly options: ServiceConnectionOptions) {
    this.urlIndex = options.firstUrlIndex ?? 0;
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.socket?.readyState === WS_OPEN;
  }

  /**
   * Connects. Resolves once the first attempt has opened or failed; after a failure reconnecting
   * continues in the background, so a service started before its engine comes up when the engine does.
   * Rejects with an `OrraApiError` (status 401) when the engine refused the API key, and then stops.
   */
  start(): Promise<void> {
    if (!this.firstAttempt) {
      this.firstAttempt = new Promise((resolve, reject) => {
        this.settleFirstAttempt = (error) => {
          this.settleFirstAttempt = undefined;
          if (error) reject(error);
          else resolve();
        };
      });
      this.connect();
    }
    return this.firstAttempt;
  }

  /** Sends `payload` wrapped and tracked until ACKed; queues it while the socket is not open. */
  send(payload: SdkPayload): void {
    const message = this.options.outbox.wrap(payload);
    const socket = this.socket;
    if (this.closed || !socket || socket.readyState !== WS_OPEN) {
      this.options.outbox.enqueue(message);
      return;
    }
    try {
      socket.send(JSON.stringify(message));
      this.options.outbox.sent(message);
    } catch (err) {
      this.options.logger.warn('send failed, queued for re-sending', {
        type: payload.type,
        error: String(err),
      });
      this.options.outbox.enqueue(message);
    }
  }

  /** Closes with code 1000 and stops reconnecting. Resolves when the socket has closed. */
  close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.settleFirstAttempt?.();
    const socket = this.socket;
    if (socket && socket.readyState <= WS_OPEN) socket.close(1000, 'service shutdown');
    return this.socketClosed;
  }

  private connect(): void {
    const baseUrl = this.options.baseUrls[this.urlIndex % this.options.baseUrls.length] as string;
    const url = toWebSocketUrl(baseUrl, this.options.serviceId, this.options.apiKey);
    const logUrl = redactWebSocketUrl(url);
    this.options.logger.debug('connecting', { url: logUrl, attempt: this.attempt });
    let socket: WebSocketLike;
    try {
      socket = this.createSocket(url);
    } catch (err) {
      this.options.logger.error('cannot create WebSocket', { url: logUrl, error: String(err) });
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.refusal = undefined;
    let openedAt: number | undefined;
    let markClosed!: () => void;
    this.socketClosed = new Promise((resolve) => (markClosed = resolve));

    socket.onopen = () => {
      if (this.socket !== socket) return;
      openedAt = this.now();
      this.options.logger.info('connected', { url: logUrl });
      this.settleFirstAttempt?.();
      this.flushQueue();
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onerror = (event: { message?: string }) => {
      // Always listened to: `ws` would otherwise throw the error. The close event follows.
      this.options.logger.debug('socket error', { url: logUrl, error: event?.message });
    };
    socket.onclose = (event: { code: number }) => {
      markClosed();
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.options.outbox.requeuePending();
      if (openedAt !== undefined && this.now() - openedAt >= STABLE_CONNECTION_MS) this.attempt = 0;
      const refusal = this.refusal;
      if (refusal?.status === 401) return this.refused(refusal, baseUrl, logUrl);
      this.settleFirstAttempt?.();
      if (this.closed) return;
      if (refusal) {
        this.options.logger.warn('engine refused the connection, reconnecting', {
          url: logUrl,
          status: refusal.status,
          code: refusal.code,
          reason: refusal.message,
        });
      } else {
        this.options.logger.warn('connection closed, reconnecting', { url: logUrl, code: event.code });
      }
      this.scheduleReconnect();
    };
  }

  /** The engine refused the key: retrying with it cannot succeed, so say why and stop. */
  private refused(refusal: OrraApiError, baseUrl: string, logUrl: string): void {
    if (this.closed) return; // shut down meanwhile: nothing to report
    this.closed = true;
    // The engine's body gives the reason ("unknown API key"); a bare 401 leaves only the status.
    const reason = refusal.message.startsWith('HTTP ') ? refusal.message : `HTTP 401: ${refusal.message}`;
    const error = new OrraApiError(
      `the orra engine at ${baseUrl} refused the API key (${reason}); ` +
        'the service stopped reconnecting: check orraKey (a key of the project the service is registered in)',
      { status: refusal.status, code: refusal.code, kind: refusal.kind },
    );
    this.options.logger.error('engine refused the API key, not reconnecting', {
      url: logUrl,
      status: refusal.status,
      code: refusal.code,
      reason: refusal.message,
    });
    if (this.settleFirstAttempt) return this.settleFirstAttempt(error);
    this.options.onRefused(error);
  }

  private createSocket(url: string): WebSocketLike {
    if (this.options.WebSocketImpl) return new this.options.WebSocketImpl(url);
    // ws answers protocol-level ping frames by itself, which is how the engine sees a live peer.
    const ws = new WebSocket(url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS, maxPayload: MAX_FRAME_BYTES });
    // Without this listener ws reports a refused upgrade only as the text "Unexpected server response:
    // 401"; with it we get the status and the engine's error body. terminate() then closes as before.
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let isDone = false;
      const done = () => {
        if (isDone) return;
        isDone = true;
        const text = Buffer.concat(chunks).toString('utf8');
        const refusal = apiErrorFromResponse(res.statusCode ?? 0, res.statusMessage ?? '', text);
        if (this.socket === ws) this.refusal = refusal;
        ws.terminate();
      };
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_REFUSAL_BODY_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    return ws;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.attempt += 1;
    this.urlIndex += 1;
    const delayMs = backoffDelayMs(this.attempt, this.options.backoff, this.options.random);
    this.options.logger.debug('reconnect scheduled', { attempt: this.attempt, delayMs });
    // Deliberately not unref'd: a service whose engine is away must stay up and keep trying.
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) this.connect();
    }, delayMs);
  }

  /** Re-sends everything queued, each under a new envelope. */
  private flushQueue(): void {
    const queued = this.options.outbox.drain();
    if (queued.length > 0) this.options.logger.info('re-sending queued messages', { count: queued.length });
    for (const payload of queued) this.send(payload);
  }

  private receive(data: unknown): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(String(data));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object');
      message = parsed as Record<string, unknown>;
    } catch {
      this.options.logger.warn('ignoring a frame that is not a JSON object');
      return;
    }
    switch (message.type) {
      case 'ACK':
        if (typeof message.id === 'string') this.options.outbox.ack(message.id);
        return;
      case 'ping':
        this.answerPing(message);
        return;
      default:
        this.options.onMessage(message);
    }
  }

  /** Answers orra's app-level ping, only for our own id (as orra's SDKs do). The pong is never ACKed. */
  private answerPing(message: Record<string, unknown>): void {
    if (message.serviceId !== this.options.serviceId) return;
    const socket = this.socket;
    if (!socket || socket.readyState !== WS_OPEN) return;
    socket.send(JSON.stringify({ id: 'pong', payload: { type: 'pong', serviceId: this.options.serviceId } }));
  }
}
