import { ERROR_CODES, type ErrorBodyOut } from '@orra/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EngineError } from '../errors/engine-error.js';
import { HTTP_STATUS, kindFor } from './error-status.js';

/** Turns every failure into `{"error":{kind,code,param,message}}` with the right status. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | EngineError, request, reply) => sendError(err, request, reply));
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBodyOut = {
      error: {
        kind: kindFor(ERROR_CODES.ROUTE_NOT_FOUND),
        code: ERROR_CODES.ROUTE_NOT_FOUND,
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      },
    };
    void reply.status(404).send(body);
  });
}

/**
 * Errors the router raises before any handler runs (Fastify's `frameworkErrors`), in the same format: a
 * path parameter longer than any id we issue names nothing that exists (404, not Fastify's own 414 body),
 * and a path that is not valid percent-encoding is bad input.
 */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const mapped =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new EngineError(
          ERROR_CODES.NOT_FOUND,
          `no such resource: a path parameter of ${request.url.split('?')[0]} is longer than any id`,
          { cause: err },
        )
      : new EngineError(ERROR_CODES.VALIDATION_FAILED, `bad request path: ${err.message}`, { cause: err });
  sendError(mapped, request, reply);
}

function sendError(err: FastifyError | EngineError, request: FastifyRequest, reply: FastifyReply): void {
  const engineError = toEngineError(err, request);
  const status = HTTP_STATUS[engineError.code];
  const body: ErrorBodyOut = {
    error: {
      kind: kindFor(engineError.code),
      code: engineError.code,
      ...(engineError.param ? { param: engineError.param } : {}),
      message: engineError.message,
      ...bodyDetails(engineError),
    },
  };
  if (status >= 500) {
    // Unknown errors: the stack goes to the log, the caller gets a request id to quote.
    request.log.error({ err }, 'request failed');
    body.error.requestId = String(request.id);
    // Known upstream failures (502/504 from the LLM planner) keep their message: it says what to fix.
    if (status === 500) body.error.message = `internal server error (request id ${request.id})`;
  }
  void reply.status(status).header('content-type', 'application/json').send(body);
}

function toEngineError(err: FastifyError | EngineError, request: FastifyRequest): EngineError {
  if (err instanceof EngineError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 0;
      return new EngineError(
        ERROR_CODES.PAYLOAD_TOO_LARGE,
        `request body is larger than the limit of ${limit} bytes (${formatBytes(limit)}); send a smaller body, or raise the limit with ORRA_BODY_LIMIT_BYTES (bodyLimitBytes in the config file)`,
        { cause: err },
      );
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new EngineError(ERROR_CODES.JSON_MARSHALING_FAIL, err.message, { cause: err });
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new EngineError(ERROR_CODES.JSON_MARSHALING_FAIL, err.message, { cause: err });
  }
  return new EngineError(ERROR_CODES.INTERNAL, err.message, { cause: err });
}

/** `16 MiB`, `1 KiB`, `900 bytes`: a byte count as a person reads it. */
function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** Fields an error adds to its body (declared in ErrorBodyOut); other details stay in the logs. */
function bodyDetails(err: EngineError): Partial<ErrorBodyOut['error']> {
  const d = err.details as { oldestCursor?: unknown } | undefined;
  return err.code === ERROR_CODES.CURSOR_EXPIRED && typeof d?.oldestCursor === 'string' ? { oldest_cursor: d.oldestCursor } : {};
}
