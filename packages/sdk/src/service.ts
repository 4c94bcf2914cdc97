import {
  ERROR_CODES,
  type SdkPayload,
  type ServiceIn,
  type ServiceKind,
  type ServiceOut,
} from '@orra/protocol';
import { DEFAULT_RECONNECT_BACKOFF, type BackoffOptions } from './backoff.js';
import { OrraClient } from './client.js';
import { OrraApiError, OrraConnectionError, ServiceShutdownError } from './errors.js';
import { IdempotencyCache } from './idempotency-cache.js';
import { SILENT_LOGGER, type Logger } from './logger.js';
import { createServiceIdStore, type ServiceIdStore } from './service-id-store.js';
import {
  DEFAULT_REVERT_TTL_MS,
  validateInitOptions,
  validateRegisterOptions,
  type InitServiceOptions,
  type RegisterOptions,
} from './service-options.js';
import { TaskRunner, type RevertHandler, type TaskHandler } from './task-runner.js';
import { Outbox } from './ws/outbox.js';
import { ServiceConnection } from './ws/service-connection.js';
import { handlerTracing } from './handler-tracing.js';

/** What the engine knows the service as, filled in by `register()`. */
export interface ServiceInfo {
  /** The `s_…` id, null until registered. */
  readonly id: string | null;
  /** The registration version (1 when new, +1 on each re-registration). */
  readonly version: number;
  readonly revertible: boolean;
  /** Revert TTL in ms. */
  readonly revertTTL: number;
}

/** A service or agent connected to the engine (orra's JS SDK API). */
export interface OrraService {
  /** Registration details; updated by `register()`. */
  readonly info: ServiceInfo;
  /**
   * Registers with the engine (re-using the persisted id), saves the id and connects the WebSocket.
   * Resolves once the first connection attempt has opened or failed (reconnecting then continues).
   * Rejects with an `OrraApiError` when the engine refuses the registration, or refuses the API key
   * (`status` 401) on that first connection attempt.
   */
  register(options: RegisterOptions): Promise<OrraService>;
  /**
   * Installs the handler for what the service cannot recover from by itself once `register()` has
   * resolved: the engine refusing the API key when the socket reconnects (an `OrraApiError` with
   * `status` 401 and `code` `Orra:Unauthenticated`: the engine came back with another database, or
   * the key is not one of its projects'). The service has then stopped reconnecting (retrying the same
   * key cannot succeed); call `register()` again to retry, or exit. Without a handler the error is
   * thrown as an uncaught exception, so an unattended service exits with the reason instead of idling
   * without a connection. The SDK's logger gets the reason either way.
   */
  onError(handler: (error: Error) => void): void;
  /** Installs the handler that undoes a completed task; required before `start()` when revertible. */
  onRevert<TInput = Record<string, any>, TOutput = any>(handler: RevertHandler<TInput, TOutput>): void;
  /** Installs the task handler; tasks that arrived before it were ignored (the engine re-sends them). */
  start<TInput = Record<string, any>, TOutput = unknown>(handler: TaskHandler<TInput, TOutput>): void;
  /** Closes the socket with code 1000, stops reconnecting and clears timers so the process can exit. */
  shutdown(): Promise<void>;
}

/** Creates a service (registered at `/register/service`). Validates the options; connects in `register()`. */
export function initService(options: InitServiceOptions): OrraService {
  return new ServiceRuntime('service', options);
}

/** Creates an agent (registered at `/register/agent`); otherwise identical to `initService`. */
export function initAgent(options: InitServiceOptions): OrraService {
  return new ServiceRuntime('agent', options);
}

class ServiceRuntime implements OrraService {
  readonly info: { id: string | null; version: number; revertible: boolean; revertTTL: number } = {
    id: null,
    version: 0,
    revertible: false,
    revertTTL: DEFAULT_REVERT_TTL_MS,
  };
  private readonly baseUrls: string[];
  private urlIndex = 0;
  private readonly logger: Logger;
  private readonly idStore: ServiceIdStore;
  private readonly outbox: Outbox;
  private readonly cache: IdempotencyCache;
  private readonly runner: TaskRunner;
  private readonly backoff: BackoffOptions;
  private connection: ServiceConnection | undefined;
  private errorHandler: ((error: Error) => void) | undefined;
  private isShutdown = false;
  private shutdownDone: Promise<void> | undefined;

  constructor(
    private readonly kind: ServiceKind,
    private readonly options: InitServiceOptions,
  ) {
    this.baseUrls = validateInitOptions(options);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.idStore = createServiceIdStore(options.name, options.persistenceOpts, this.logger);
    this.backoff = { ...DEFAULT_RECONNECT_BACKOFF, ...options.reconnectBackoff };
    this.outbox = new Outbox({
      ackTimeoutMs: options.ackTimeoutMs ?? 5000,
      maxQueued: options.maxQueuedMessages ?? 10_000,
      logger: this.logger,
    });
    this.cache = new IdempotencyCache(options.idempotencyCache);
    this.runner = new TaskRunner({
      send: (payload) => this.send(payload),
      cache: this.cache,
      logger: this.logger,
      serviceId: () => this.info.id ?? '',
      compensation: () => ({ revertible: this.info.revertible, ttlMs: this.info.revertTTL }),
      isShutdown: () => this.isShutdown,
      runTraced: handlerTracing(options.tracer, options.name, this.logger),
    });
  }

  async register(options: RegisterOptions): Promise<OrraService> {
    if (this.isShutdown) throw new ServiceShutdownError(`register ${this.kind}`);
    const revertTTL = validateRegisterOptions(options);
    const revertible = options.revertible ?? false;
    const storedId = await this.idStore.load();
    const body: ServiceIn = {
      id: storedId,
      name: this.options.name,
      description: options.description,
      schema: options.schema as ServiceIn['schema'],
      revertible,
      version: this.info.version,
    };
    let out: ServiceOut;
    try {
      out = await this.post(body);
    } catch (err) {
      // Our engine says 404 UnknownService when the stored id is not in the key's project (its database
      // was reset, or the key belongs to another project). Registering afresh is the only way forward;
      // orra's SDK fails here until someone deletes the key file by hand.
      if (!(storedId && err instanceof OrraApiError && err.code === ERROR_CODES.UNKNOWN_SERVICE)) throw err;
      this.logger.warn('stored service id unknown to the engine, registering as new', { storedId });
      out = await this.post({ ...body, id: null });
    }
    if (typeof out?.id !== 'string' || out.id === '')
      throw new Error(`${this.kind} id was not received after registration`);
    if (this.isShutdown) throw new ServiceShutdownError(`register ${this.kind}`);
    const previousId = this.info.id;
    Object.assign(this.info, { id: out.id, version: out.version, revertible, revertTTL });
    await this.idStore.save(out.id);
    this.logger.info('registered', {
      kind: this.kind,
      name: this.options.name,
      serviceId: out.id,
      version: out.version,
    });
    if (this.connection && previousId !== out.id) {
      await this.connection.close();
      this.connection = undefined;
    }
    if (!this.connection) {
      this.cache.startCleanup();
      this.connection = new ServiceConnection({
        baseUrls: this.baseUrls,
        firstUrlIndex: this.urlIndex,
        serviceId: out.id,
        apiKey: this.options.orraKey,
        outbox: this.outbox,
        backoff: this.backoff,
        logger: this.logger,
        onMessage: (message) => this.runner.handle(message),
        onRefused: (error) => this.refused(error),
        WebSocketImpl: this.options.WebSocketImpl,
      });
      try {
        await this.connection.start();
      } catch (err) {
        this.connection = undefined; // refused: it has stopped, and a later register() starts afresh
        throw err;
      }
    }
    return this;
  }

  onError(handler: (error: Error) => void): void {
    if (typeof handler !== 'function') throw new TypeError('onError needs a function');
    this.errorHandler = handler;
  }

  onRevert<TInput, TOutput>(handler: RevertHandler<TInput, TOutput>): void {
    if (typeof handler !== 'function') throw new TypeError('onRevert needs a function');
    this.runner.setRevertHandler(handler as RevertHandler<any, any>);
  }

  start<TInput, TOutput>(handler: TaskHandler<TInput, TOutput>): void {
    if (typeof handler !== 'function') throw new TypeError('start needs a task handler function');
    if (this.isShutdown) throw new ServiceShutdownError(`start ${this.kind}`);
    if (this.info.revertible && !this.runner.hasRevertHandler) throw new Error('onRevert handler is missing');
    this.runner.setTaskHandler(handler as TaskHandler<any, unknown>);
  }

  shutdown(): Promise<void> {
    if (!this.shutdownDone) {
      this.isShutdown = true;
      this.cache.stopCleanup();
      this.shutdownDone = (async () => {
        await this.connection?.close();
        const dropped = this.outbox.clear();
        if (dropped > 0) this.logger.warn('shut down with unacknowledged messages', { dropped });
        this.logger.info('shut down', { serviceId: this.info.id });
      })();
    }
    return this.shutdownDone;
  }

  /** The connection stopped on a refused key (and has logged why): tell the application. */
  private refused(error: Error): void {
    this.connection = undefined;
    const handler = this.errorHandler;
    if (handler) return handler(error);
    // Like an 'error' event nobody listens to: better an exit with the reason than a silent idle process.
    process.nextTick(() => {
      throw error;
    });
  }

  private send(payload: SdkPayload): void {
    if (this.isShutdown || !this.connection) {
      this.logger.debug('service shut down, message dropped', { type: payload.type });
      return;
    }
    this.connection.send(payload);
  }

  /** POSTs the registration, moving on to the next base URL while the current one cannot be reached. */
  private async post(body: ServiceIn): Promise<ServiceOut> {
    for (let tried = 1; ; tried++) {
      const baseUrl = this.baseUrls[this.urlIndex % this.baseUrls.length] as string;
      try {
        return await new OrraClient({ baseUrl, apiKey: this.options.orraKey }).registerService(
          this.kind,
          body,
        );
      } catch (err) {
        if (!(err instanceof OrraConnectionError) || tried >= this.baseUrls.length) throw err;
        this.logger.warn('engine unreachable, trying the next URL', { url: baseUrl });
        this.urlIndex += 1;
      }
    }
  }
}
