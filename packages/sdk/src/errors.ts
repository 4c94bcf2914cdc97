import type { ErrorBodyOut } from '@orra/protocol';

/**
 * Errors the SDK throws. Each carries enough structure (status, code, url) that callers never need
 * to parse message text to decide what happened.
 */

/**
 * Thrown by `task.abort(payload)` after the abort has been sent, so the handler stops at that point.
 * The SDK recognises it and sends no `task_result` for the aborted task.
 */
export class TaskAbortedError extends Error {
  override readonly name = 'TaskAbortedError';

  /** @param payload the abort payload that was sent to the engine */
  constructor(readonly payload: unknown) {
    super('task aborted');
  }
}

/** The engine answered with a non-2xx status; fields come from its `{"error":{…}}` body. */
export class OrraApiError extends Error {
  override readonly name = 'OrraApiError';
  /** HTTP status code. */
  readonly status: number;
  /** Stable error code such as `Orra:UnknownService`, when the engine sent one. */
  readonly code: string | undefined;
  /** orra's error kind such as `invalid request error`, when sent. */
  readonly kind: string | undefined;
  /** The request field the error is about, when sent. */
  readonly param: string | undefined;
  /** The engine's request id for a 5xx, to find it in the engine's logs. */
  readonly requestId: string | undefined;

  /** @param message the engine's `error.message`, or a description of the status when it sent none */
  constructor(
    message: string,
    fields: { status: number; code?: string; kind?: string; param?: string; requestId?: string },
  ) {
    super(message);
    this.status = fields.status;
    this.code = fields.code;
    this.kind = fields.kind;
    this.param = fields.param;
    this.requestId = fields.requestId;
  }
}

/** The engine could not be reached (refused, reset, DNS, timeout). The message names the URL. */
export class OrraConnectionError extends Error {
  override readonly name = 'OrraConnectionError';

  /** Why, in a word where the network layer gives one (`ECONNREFUSED`, `ENOTFOUND`…). */
  readonly reason: string | undefined;

  /** @param url the URL that could not be reached (never carries credentials) */
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options);
    this.reason = options?.reason;
  }
}

/** The service or agent was shut down; registering, pushing updates and aborting are refused. */
export class ServiceShutdownError extends Error {
  override readonly name = 'ServiceShutdownError';

  /** @param action what was attempted, e.g. `register` */
  constructor(action: string) {
    super(`cannot ${action}: the service has been shut down`);
  }
}

/**
 * The OrraApiError for a non-2xx answer: fields from the engine's `{"error":{…}}` body, or a
 * description of the status when the body is not one (a proxy's HTML page, orra's empty 403).
 */
export function apiErrorFromResponse(status: number, statusText: string, text: string): OrraApiError {
  let error: Partial<ErrorBodyOut['error']> | undefined;
  try {
    const parsed = JSON.parse(text) as Partial<ErrorBodyOut> | null;
    if (parsed && typeof parsed.error === 'object' && parsed.error !== null) error = parsed.error;
  } catch {
    // Not JSON: described from the status below.
  }
  const fallback = `HTTP ${status}${statusText ? ` ${statusText}` : ''}${
    text.trim() ? `: ${text.trim().slice(0, 200)}` : ''
  }`;
  return new OrraApiError(typeof error?.message === 'string' && error.message ? error.message : fallback, {
    status,
    code: error?.code,
    kind: error?.kind,
    param: error?.param,
    requestId: error?.requestId,
  });
}
