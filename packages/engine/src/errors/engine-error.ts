import type { ErrorCode } from '@orra/protocol';

/** The one error type of the engine: a stable code, a message for the caller, and the cause kept. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly code: ErrorCode;
  /** The request field the error is about, when there is one. */
  readonly param: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; param?: string; details?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.param = options.param;
    this.details = options.details;
  }
}
