/**
 * The WebSocket protocol between the plan engine and services/agents, as orra speaks it
 * (`orra-compat.md` §4). Server→SDK frames are bare JSON objects; SDK→server frames are wrapped
 * `{id, payload}` and acknowledged with `{type:"ACK", id}` (except the `pong` wrapper).
 */

/** Why a compensation runs. */
export type CompensationReason = 'failed' | 'aborted';

/** The context sent with every compensation request. */
export interface CompensationContext {
  orchestrationId: string;
  reason: CompensationReason;
  /** The orchestration error (on failure) or the abort payload (on abort). */
  payload?: unknown;
  /** RFC 3339 time of the failure or abort. */
  timestamp: string;
}

/** Engine → service: run one task. */
export interface TaskRequest {
  type: 'task_request';
  /** Plan task id, e.g. `task1`. */
  id: string;
  input: Record<string, unknown>;
  /** New on every attempt. */
  executionId: string;
  /** Stable across every re-send of the same task; the SDK's exactly-once cache key. */
  idempotencyKey: string;
  serviceId: string;
  /**
   * W3C trace context of this attempt's `execute_task` span, present only when the engine traces
   * (docs/tracing.md). orra's SDKs ignore unknown fields; ours hands it to the handler.
   */
  traceparent?: string;
  /** W3C `tracestate` belonging to `traceparent`, when the trace has one. */
  tracestate?: string;
}

/** Engine → service: undo a completed task. */
export interface CompensationRequest {
  type: 'compensation_request';
  id: string;
  /** The `compensation.data` the service returned with the task result. */
  input: unknown;
  compensationContext: CompensationContext;
  executionId: string;
  idempotencyKey: string;
  serviceId: string;
  /** W3C trace context of this attempt's `compensate` span, present only when the engine traces. */
  traceparent?: string;
  /** W3C `tracestate` belonging to `traceparent`, when the trace has one. */
  tracestate?: string;
}

/** Engine → service: application-level ping; the SDK answers only when `serviceId` is its own. */
export interface PingMessage {
  type: 'ping';
  serviceId: string;
}

/** Engine → service: acknowledges a wrapped SDK message by its wrapper id. */
export interface AckMessage {
  type: 'ACK';
  id: string;
}

/** Everything the engine sends over the socket. */
export type ServerMessage = TaskRequest | CompensationRequest | PingMessage | AckMessage;

/** Compensation data a revertible service returns with a task result. */
export interface CompensationEnvelope {
  data: unknown;
  /** Revert TTL in milliseconds. */
  ttl: number;
}

/** The `result` of a successful task_result for a normal task. */
export interface TaskResultValue {
  task: unknown;
  compensation?: CompensationEnvelope | null;
}

/** The `result` of a successful task_result for a compensation. */
export interface CompensationResultValue {
  status: 'completed' | 'partial' | 'failed';
  partial?: { completed: unknown[]; remaining: unknown[] };
  error?: string | null;
}

/** Fields shared by every SDK → engine payload. */
export interface SdkPayloadBase {
  taskId?: string;
  executionId?: string;
  serviceId: string;
  idempotencyKey?: string;
}

/** SDK → engine: a task (or compensation) finished; `error` set means it failed. */
export interface TaskResultPayload extends SdkPayloadBase {
  type: 'task_result';
  result?: TaskResultValue | CompensationResultValue | null;
  error?: string | null;
}

/** SDK → engine: a duplicate request arrived for a task still running. */
export interface TaskStatusPayload extends SdkPayloadBase {
  type: 'task_status';
  status: string;
  timestamp?: string;
}

/** SDK → engine: a progress update from inside a running task. */
export interface TaskInterimResultPayload extends SdkPayloadBase {
  type: 'task_interim_result';
  result: { task: unknown };
}

/** SDK → engine: the handler aborted the orchestration with a payload. */
export interface TaskAbortResultPayload extends SdkPayloadBase {
  type: 'task_abort_result';
  result: { task: unknown };
}

/** SDK → engine: answer to a ping. */
export interface PongPayload {
  type: 'pong';
  serviceId: string;
}

/** Any payload an SDK sends. */
export type SdkPayload =
  | TaskResultPayload
  | TaskStatusPayload
  | TaskInterimResultPayload
  | TaskAbortResultPayload
  | PongPayload;

/** The envelope of SDK → engine messages. The wrapper id of a pong is the literal `"pong"`. */
export interface WrappedMessage {
  id: string;
  payload: SdkPayload;
}

/**
 * The largest frame either side accepts: 10 MiB of data plus 64 KiB for the envelope around it (orra's
 * engine: 10 KiB). Our SDK's receive limit is this; orra's JS SDK accepts up to 100 MiB, its Python SDK
 * 10.5 MB. The engine never sends a larger message, and refuses one it would have to send (see
 * docs/ws-protocol.md, "Message size").
 */
export const MAX_FRAME_BYTES = 10 * 1024 * 1024 + 64 * 1024;

/**
 * The size in bytes of `message` as it goes on the wire (its JSON text in UTF-8) when that is over
 * MAX_FRAME_BYTES; undefined when it fits.
 */
export function frameOverflowBytes(message: unknown): number | undefined {
  return textOverflowBytes(JSON.stringify(message));
}

/** frameOverflowBytes for a message already encoded as JSON text. */
export function textOverflowBytes(text: string): number | undefined {
  // A UTF-16 code unit is at most 3 bytes of UTF-8: most messages need no byte count at all.
  if (text.length * 3 <= MAX_FRAME_BYTES) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > MAX_FRAME_BYTES ? bytes : undefined;
}

/** "12.3 MiB, over the 10 MiB WebSocket message limit (…)", for errors about a message that cannot be sent. */
export function describeFrameOverflow(bytes: number): string {
  const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
  return (
    `${mib(bytes)} MiB, over the ${Math.floor(MAX_FRAME_BYTES / 1024 / 1024)} MiB WebSocket message limit (${MAX_FRAME_BYTES} bytes; ` +
    "fixed by the protocol, as it is what the services' SDKs accept, so no setting raises it)"
  );
}
