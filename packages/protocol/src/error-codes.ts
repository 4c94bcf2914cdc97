/**
 * Stable error codes, declared once. Codes are never renamed or reused. The values that orra's engine
 * also sends keep orra's spelling so existing tooling can match on them; `docs/errors.md` lists them all
 * (a test fails when one is missing there).
 */
export const ERROR_CODES = {
  /** The request body is not valid JSON or does not have the expected shape. */
  JSON_MARSHALING_FAIL: 'Orra:JSONMarshalingFail',
  /** A field of the request failed validation; `param` names it. */
  VALIDATION_FAILED: 'Orra:ValidationFailed',
  /** The Authorization header or API key is missing, malformed or unknown. */
  UNAUTHENTICATED: 'Orra:Unauthenticated',
  /** Registering projects is restricted to holders of the admin token. */
  FORBIDDEN: 'Orra:Forbidden',
  /** The route does not exist. */
  ROUTE_NOT_FOUND: 'Orra:RouteNotFound',
  /** The orchestration does not exist in the caller's project. */
  UNKNOWN_ORCHESTRATION: 'Orra:UnknownOrchestration',
  /** The service does not exist in the caller's project. */
  UNKNOWN_SERVICE: 'Orra:UnknownService',
  /** A generic "no such item in your project" (compensation failures, webhooks, …). */
  NOT_FOUND: 'Orra:NotFound',
  /** The request body is larger than the configured limit. */
  PAYLOAD_TOO_LARGE: 'Orra:PayloadTooLarge',
  /** The item is in a state that does not allow the operation. */
  CONFLICT: 'Orra:Conflict',
  /**
   * An `Idempotency-Key` of `POST /orchestrations` was used before, within 24 h, with another body (the
   * issue's `idempotency_key_reused`).
   */
  IDEMPOTENCY_KEY_REUSED: 'Orra:IdempotencyKeyReused',
  /** The planner judged the action impossible with the project's services. */
  ACTION_NOT_ACTIONABLE: 'Orra:ActionNotActionable',
  /** The action could not be prepared for execution (no plan, invalid plan, no planner). */
  ACTION_CANNOT_EXECUTE: 'Orra:ActionCannotExecute',
  /** The plan failed validation; the message lists every problem. */
  INVALID_PLAN: 'Orra:InvalidPlan',
  /** The engine is shutting down and takes no new work. */
  SHUTTING_DOWN: 'Orra:PlanEngineShuttingDown',
  /** The engine has bound its port but is still resuming in-flight work; retry after `Retry-After`. */
  STARTING: 'Orra:PlanEngineStarting',
  /** A grounding spec failed validation; `param` names the part (name, domain, version, use-cases, constraints). */
  INVALID_GROUNDING: 'Orra:InvalidGrounding',
  /** The project already has a grounding spec with this name and version (orra: kind `invalid operation`). */
  GROUNDING_VERSION_EXISTS: 'Orra:GroundingVersionExists',
  /** The LLM endpoint did not answer within the planning time budget. */
  PLANNER_TIMEOUT: 'Orra:PlannerTimeout',
  /** The LLM endpoint could not be reached or answered with an error status. */
  PLANNER_UNAVAILABLE: 'Orra:PlannerUnavailable',
  /** The LLM answered, but gave no usable plan in any of its attempts; the message carries the last problems. */
  PLANNING_FAILED: 'Orra:PlanningFailed',
  /** The API key (or the console session's key) has the `read` role: it may look but not change anything. */
  READ_ONLY_KEY: 'Orra:ReadOnlyKey',
  /** Too many attempts (console sign-in); retry after `Retry-After` seconds. */
  TOO_MANY_REQUESTS: 'Orra:TooManyRequests',
  /**
   * A change sent with a console session cookie that is not JSON with `X-Orra-Client: console` from the
   * engine's own origin (what a cross-site form or script would send).
   */
  CONSOLE_REQUEST_REFUSED: 'Orra:ConsoleRequestRefused',
  /**
   * The event-feed cursor is older than retention: events after it were deleted. The body carries
   * `oldest_cursor`, from which the feed is complete again (resync first). Issue 12 calls it `cursor_expired`.
   */
  CURSOR_EXPIRED: 'Orra:CursorExpired',
  /** An unexpected server-side failure; the response carries a request id to find it in the logs. */
  INTERNAL: 'Orra:Internal',
} as const;

/** Any of the engine's error codes. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The `kind` strings of orra's error bodies (diygoapi), kept for compatibility. */
export const ERROR_KINDS = {
  invalid: 'invalid operation',
  notExist: 'item does not exist',
  validation: 'input validation error',
  invalidRequest: 'invalid request error',
  unauthenticated: 'unauthenticated',
  unauthorized: 'unauthorized',
  conflict: 'conflict',
  unanticipated: 'unanticipated error',
  internal: 'internal error',
} as const;

/** The JSON error body every non-2xx response carries. */
export interface ErrorBodyOut {
  error: {
    kind: string;
    code?: string;
    param?: string;
    message: string;
    requestId?: string;
    /** `Orra:CursorExpired` only: the cursor from which the event feed is complete. */
    oldest_cursor?: string;
  };
}
