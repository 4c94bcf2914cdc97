/**
 * The engine cannot start for a reason other than its configuration (the port is taken, the database
 * cannot be opened or is another engine's). The message is one line that says what failed and what to
 * change; the process entry prints it alone, without a stack, and exits 1.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** An error's message on one line (drivers sometimes add detail lines), for start-up messages. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]?.trim() || (err instanceof Error ? err.name : 'unknown error');
}
