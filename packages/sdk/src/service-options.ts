import { isValidServiceName } from '@orra/protocol';
import type { BackoffOptions } from './backoff.js';
import type { TracerLike } from './handler-tracing.js';
import type { IdempotencyCacheOptions } from './idempotency-cache.js';
import type { Logger } from './logger.js';
import type { PersistenceOptions } from './service-id-store.js';
import type { WebSocketConstructor } from './ws/websocket-like.js';

/**
 * A JSON Schema for a service's input or output. The engine keeps orra's subset (`type`,
 * `properties`, `required`, `format`, `minimum`, `maximum`, `items`) and drops other keywords, which
 * are allowed here so schemas written for orra's SDK compile unchanged.
 */
export interface SchemaSpec {
  type: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
  properties?: Record<string, SchemaSpec>;
  required?: string[];
  items?: SchemaSpec;
  [keyword: string]: unknown;
}

/** `initService` / `initAgent` options: orra's JS SDK options plus logging and tuning. */
export interface InitServiceOptions {
  /** 3–63 characters of `a-z 0-9 . -`, starting and ending alphanumeric. */
  name: string;
  /**
   * The engine's base URL (`http://host:8005`). Several URLs may be given: registration and
   * reconnects move on to the next one when one cannot be reached.
   */
  orraUrl: string | readonly string[];
  /** A project API key (`sk-orra-v1-…`). */
  orraKey: string;
  /** Where the service id is kept between runs (default: `.orra-data/<name>-orra-service-key.json`). */
  persistenceOpts?: PersistenceOptions;
  /** Receives the SDK's logs; without one the SDK logs nothing. */
  logger?: Logger;
  /** A WebSocket implementation other than `ws`. */
  WebSocketImpl?: WebSocketConstructor;
  /** How long a sent message waits for the engine's ACK before it is re-sent on reconnect (5 s). */
  ackTimeoutMs?: number;
  /**
   * Reconnect backoff (default 250 ms, each wait 1.25 × the one before, capped at 30 s, up to 50 %
   * jitter). It never gives up, except when the engine refuses the API key (see `onError`).
   */
  reconnectBackoff?: Partial<BackoffOptions>;
  /** Most unacknowledged messages kept for re-sending (10,000); the oldest are dropped beyond it. */
  maxQueuedMessages?: number;
  /** Limits of the exactly-once result cache. */
  idempotencyCache?: IdempotencyCacheOptions;
  /**
   * An OpenTelemetry tracer (`trace.getTracer('my-service')` from `@opentelemetry/api`): each handler
   * then runs in a span that continues the engine's trace (README, Tracing). Without one, handlers read
   * `task.traceparent` themselves if they want it.
   */
  tracer?: TracerLike;
}

/** `register()` options. */
export interface RegisterOptions {
  /** What the service does; the planner reads it. Must not be empty. */
  description: string;
  schema: { input: SchemaSpec; output: SchemaSpec };
  /** Whether completed tasks can be undone by the `onRevert` handler (default false). */
  revertible?: boolean;
  /** How long, in ms, a completed task stays revertible (default 24 h; must be above 100). */
  revertTTL?: number;
}

/** The default revert TTL: 24 hours. */
export const DEFAULT_REVERT_TTL_MS = 24 * 60 * 60 * 1000;

/** Checks the `initService` options; returns the base URLs. Throws a TypeError naming the option. */
export function validateInitOptions(options: InitServiceOptions): string[] {
  if (options === null || typeof options !== 'object')
    throw new TypeError('initService options are required');
  if (typeof options.name !== 'string' || !isValidServiceName(options.name)) {
    throw new TypeError(
      `invalid name ${JSON.stringify(options.name)}: use 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit`,
    );
  }
  const urls = typeof options.orraUrl === 'string' ? [options.orraUrl] : options.orraUrl;
  if (!Array.isArray(urls) || urls.length === 0) throw new TypeError('orraUrl is required');
  for (const url of urls as unknown[]) {
    let parsed: URL;
    try {
      parsed = new URL(String(url));
    } catch {
      throw new TypeError(`orraUrl ${JSON.stringify(url)} is not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`orraUrl ${JSON.stringify(url)} must be an http or https URL`);
    }
  }
  if (typeof options.orraKey !== 'string' || options.orraKey.trim() === '')
    throw new TypeError('orraKey is required');
  validateBackoff(options.reconnectBackoff);
  return urls.map(String);
}

function validateBackoff(backoff: Partial<BackoffOptions> | undefined): void {
  if (backoff === undefined) return;
  if (backoff === null || typeof backoff !== 'object') throw new TypeError('reconnectBackoff must be an object');
  const limits: Record<keyof BackoffOptions, [min: number, max: number, what: string]> = {
    initialDelayMs: [0, Infinity, 'a number of milliseconds, 0 or more'],
    maxDelayMs: [0, Infinity, 'a number of milliseconds, 0 or more'],
    multiplier: [1, Infinity, 'a number, 1 or more'],
    jitterRatio: [0, 1, 'a number from 0 to 1'],
  };
  for (const [key, [min, max, what]] of Object.entries(limits)) {
    const value = (backoff as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new TypeError(`reconnectBackoff.${key} must be ${what} (got ${JSON.stringify(value)})`);
    }
  }
}

/** Checks `register()` options; returns the revert TTL to use. */
export function validateRegisterOptions(options: RegisterOptions): number {
  if (options === null || typeof options !== 'object') throw new TypeError('register options are required');
  if (typeof options.description !== 'string' || options.description.trim() === '') {
    throw new TypeError('description is required');
  }
  const schema = options.schema as Partial<RegisterOptions['schema']> | undefined;
  if (
    !schema ||
    typeof schema.input !== 'object' ||
    typeof schema.output !== 'object' ||
    !schema.input ||
    !schema.output
  ) {
    throw new TypeError('schema must contain input and output specifications');
  }
  if (options.revertible !== undefined && typeof options.revertible !== 'boolean') {
    throw new TypeError('revertible must be a boolean');
  }
  const ttl = options.revertTTL ?? DEFAULT_REVERT_TTL_MS;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 100) {
    throw new TypeError('revertTTL must be a number of milliseconds above 100');
  }
  return ttl;
}
