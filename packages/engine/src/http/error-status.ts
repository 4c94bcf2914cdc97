import { ERROR_CODES, ERROR_KINDS, type ErrorCode } from '@orra/protocol';

/** The code → HTTP status table. It lives only here, in the HTTP layer. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  [ERROR_CODES.JSON_MARSHALING_FAIL]: 400,
  [ERROR_CODES.VALIDATION_FAILED]: 400,
  [ERROR_CODES.UNAUTHENTICATED]: 401,
  [ERROR_CODES.FORBIDDEN]: 403,
  [ERROR_CODES.ROUTE_NOT_FOUND]: 404,
  [ERROR_CODES.UNKNOWN_ORCHESTRATION]: 404,
  [ERROR_CODES.UNKNOWN_SERVICE]: 404,
  [ERROR_CODES.NOT_FOUND]: 404,
  [ERROR_CODES.CONFLICT]: 409,
  [ERROR_CODES.IDEMPOTENCY_KEY_REUSED]: 409,
  [ERROR_CODES.PAYLOAD_TOO_LARGE]: 413,
  [ERROR_CODES.ACTION_NOT_ACTIONABLE]: 400,
  [ERROR_CODES.ACTION_CANNOT_EXECUTE]: 400,
  [ERROR_CODES.INVALID_PLAN]: 400,
  [ERROR_CODES.SHUTTING_DOWN]: 503,
  [ERROR_CODES.STARTING]: 503,
  [ERROR_CODES.INVALID_GROUNDING]: 400,
  // orra answers 400 (kind `invalid operation`) and its CLI turns exactly that into a friendly message.
  [ERROR_CODES.GROUNDING_VERSION_EXISTS]: 400,
  [ERROR_CODES.PLANNER_TIMEOUT]: 504,
  [ERROR_CODES.PLANNER_UNAVAILABLE]: 502,
  [ERROR_CODES.PLANNING_FAILED]: 502,
  [ERROR_CODES.READ_ONLY_KEY]: 403,
  [ERROR_CODES.TOO_MANY_REQUESTS]: 429,
  [ERROR_CODES.CONSOLE_REQUEST_REFUSED]: 403,
  [ERROR_CODES.CURSOR_EXPIRED]: 410,
  [ERROR_CODES.INTERNAL]: 500,
};

/** orra's `kind` string for each status class, so orra's CLI shows our errors the way it shows its own. */
export function kindFor(code: ErrorCode): string {
  switch (HTTP_STATUS[code]) {
    case 401:
      return ERROR_KINDS.unauthenticated;
    case 403:
      return ERROR_KINDS.unauthorized;
    case 404:
      return ERROR_KINDS.notExist;
    case 409:
      return ERROR_KINDS.conflict;
    case 500:
      return ERROR_KINDS.internal;
    case 502:
    case 504:
      return ERROR_KINDS.unanticipated;
    default:
      if (code === ERROR_CODES.GROUNDING_VERSION_EXISTS) return ERROR_KINDS.invalid;
      return code === ERROR_CODES.VALIDATION_FAILED || code === ERROR_CODES.INVALID_PLAN
        ? ERROR_KINDS.validation
        : ERROR_KINDS.invalidRequest;
  }
}
