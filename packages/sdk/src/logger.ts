/**
 * The logger the SDK writes to. Messages are constant strings and data goes in `fields`, so any
 * structured logger can index them. `console` fits this shape; for pino, wrap it (pino takes the
 * fields first).
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** The default: an SDK embedded in someone else's process logs nothing unless asked to. */
export const SILENT_LOGGER: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
