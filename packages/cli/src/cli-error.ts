import { OrraApiError, OrraConnectionError } from '@orra/sdk';

/** Exit code of a failed command (server error, unknown id, unreachable engine, bad config). */
export const EXIT_FAILURE = 1;
/** Exit code of a usage error (unknown command or flag, missing argument, malformed value). */
export const EXIT_USAGE = 2;
/** Exit codes of `verify run --wait` for an orchestration that failed, or was aborted. */
export const EXIT_ORCHESTRATION_FAILED = 3;
export const EXIT_ORCHESTRATION_ABORTED = 4;
/** Exit code of a wait stopped with Ctrl-C before it had an outcome (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/** An error the CLI reports as one line, `Error: <message>`, with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';

  /** @param message what went wrong and what to do next, in one line */
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/**
 * Ends a command with a non-zero exit code after it has printed what it had to say (an outcome, not an
 * error): nothing more is printed.
 */
export class CliExit extends Error {
  override readonly name = 'CliExit';

  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** A malformed command line (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** What to suggest when the engine answers 404 for an item, per command (e.g. "list them with 'orra ps'"). */
export interface ErrorHints {
  notFound?: string;
}

/**
 * Turns anything thrown into one line for a person: the engine's message plus what to do next. Never
 * empty (orra's CLI printed `Error: … - ` for network failures), never a stack trace.
 */
export function describeError(err: unknown, server: string | undefined, hints: ErrorHints = {}): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof OrraConnectionError) {
    const where = server ?? new URL(err.url).origin;
    const reason = connectionReason(err);
    return new CliError(
      `cannot reach the orra engine at ${where} (${reason}); check that it is running, or point the project at the right address with 'orra projects add NAME --server URL'`,
    );
  }
  if (err instanceof OrraApiError) {
    const message = oneLine(err.message) || `the engine answered HTTP ${err.status}`;
    if (err.status === 401) {
      return new CliError(
        `the engine rejected the project's API key (${message}); if the engine's data was reset, add the project again with 'orra projects add NAME --server URL'`,
      );
    }
    if (err.status === 404 && err.code !== 'Orra:RouteNotFound' && hints.notFound) {
      return new CliError(`${message}; ${hints.notFound}`);
    }
    if (err.status === 404 && err.code === 'Orra:RouteNotFound') {
      return new CliError(`${message}: this engine does not support the command (is it an older version?)`);
    }
    if (err.status >= 500) {
      const id = err.requestId ? ` (request id ${err.requestId}; the engine's log has the details)` : '';
      return new CliError(`the engine failed: ${message}${id}`);
    }
    return new CliError(message);
  }
  const message = err instanceof Error ? oneLine(err.message) : oneLine(String(err));
  return new CliError(message || `unexpected ${err instanceof Error ? err.name : typeof err}`);
}

function connectionReason(err: OrraConnectionError): string {
  return err.reason ?? 'connection failed';
}

/** Collapses newlines so an error is always one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
