/**
 * `@orra/sdk`: embed a service or agent in an orra-compatible plan engine (`initService`,
 * `initAgent`, with orra's JS SDK API) and call the engine's HTTP API (`OrraClient`).
 */
export { initService, initAgent, type OrraService, type ServiceInfo } from './service.js';
export {
  DEFAULT_REVERT_TTL_MS,
  type InitServiceOptions,
  type RegisterOptions,
  type SchemaSpec,
} from './service-options.js';
export type { ServiceTask, TaskHandler, RevertHandler } from './task-runner.js';
export {
  toCompensationOutcome,
  RETURNED_FAILED_MESSAGE,
  type RevertResult,
  type PartialCompensation,
  type CompensationOutcome,
} from './revert-result.js';
export {
  createServiceIdStore,
  defaultServiceKeyPath,
  type PersistenceOptions,
  type ServiceIdStore,
} from './service-id-store.js';
export {
  OrraClient,
  type OrraClientOptions,
  type SubmitOptions,
  type RequestOptions,
  type FailedCompensationFilter,
  type WebhookDeliveryFilter,
} from './client.js';
export { TaskAbortedError, OrraApiError, OrraConnectionError, ServiceShutdownError } from './errors.js';
export { SILENT_LOGGER, type Logger } from './logger.js';
export type { TracerLike, SpanLike } from './handler-tracing.js';
export { DEFAULT_RECONNECT_BACKOFF, backoffDelayMs, type BackoffOptions } from './backoff.js';
export { IdempotencyCache, type IdempotencyCacheOptions, type CacheEntry } from './idempotency-cache.js';
export { toWebSocketUrl } from './ws/websocket-url.js';
export type { WebSocketLike, WebSocketConstructor } from './ws/websocket-like.js';
