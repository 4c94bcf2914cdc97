import WebSocket from 'ws';
import { MAX_FRAME_BYTES, type SdkPayload } from '@orra/protocol';
import { backoffDelayMs, type BackoffOptions } from '../backoff.js';
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
  WebSocketImpl?: WebSocketConstructor;
  random?: () => number;
}

/** Handshake limit for the default `ws` client, so a black-holed connect cannot hang forever. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * One service's link to the engine: opens the socket, answers app pings, routes ACKs to the outbox,
 * and reconnects after an unexpected close with capped exponential backoff — forever (orra's SDK
 * gives up after 10 attempts, leaving a live process that silently never works again).
 */
export class ServiceConnection {
  private socket: WebSocketLike | undefined;
  private attempt = 0;
  private urlIndex: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private firstAttempt: Promise<void> | undefined;
  private settleFirstAttempt: (() => void) | undefined;
  private socketClosed: Promise<void> = Promise.resolve();

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
   */
  start(): Promise<void> {
    if (!this.firstAttempt) {
      this.firstAttempt = new Promise((resolve) => (this.settleFirstAttempt = resolve));
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
    let markClosed!: () => void;
    this.socketClosed = new Promise((resolve) => (markClosed = resolve));

    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
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
      this.settleFirstAttempt?.();
      if (this.closed) return;
      this.options.logger.warn('connection closed, reconnecting', { url: logUrl, code: event.code });
      this.scheduleReconnect();
    };
  }

  private createSocket(url: string): WebSocketLike {
    if (this.options.WebSocketImpl) return new this.options.WebSocketImpl(url);
    // ws answers protocol-level ping frames by itself, which is how the engine sees a live peer.
    return new WebSocket(url, { handshakeTimeout: HANDSHAKE_TIMEOUT_MS, maxPayload: MAX_FRAME_BYTES });
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
