/** Capped exponential backoff with jitter, for WebSocket reconnects. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** Each delay is this many times the one before (at least 1). */
  multiplier: number;
  /** No delay exceeds this. */
  maxDelayMs: number;
  /** Each delay is reduced by a random fraction up to this ratio (0 disables jitter). */
  jitterRatio: number;
}

/**
 * 250 ms, then each wait 25 % longer than the one before, capped at 30 s, up to 50 % jitter.
 *
 * With a growth of 1.25 each wait is about a quarter of the time the engine has already been away
 * (plus 250 ms), so a service is back within about a quarter of the outage: a restart of a few seconds
 * costs well under a second more, while an engine that stays away is tried less and less often (every
 * 30 s after about two minutes). Plain doubling from 1 s (the old default) made a 15 s restart cost
 * up to 15 s more.
 */
export const DEFAULT_RECONNECT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 250,
  multiplier: 1.25,
  maxDelayMs: 30_000,
  jitterRatio: 0.5,
});

/**
 * The delay before retry number `attempt` (1-based): `initialDelayMs · multiplier^(attempt-1)`,
 * capped. Jitter only shortens the delay so the cap stays a hard upper bound, while many services that
 * lost the engine at the same moment still spread their reconnects out.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(attempt - 1, 0);
  // A service may retry for days: multiplier^exponent overflows to Infinity, and 0 · Infinity is NaN.
  const growth = options.multiplier ** exponent;
  const base = Number.isFinite(growth)
    ? Math.min(options.maxDelayMs, options.initialDelayMs * growth)
    : options.initialDelayMs > 0
      ? options.maxDelayMs
      : 0;
  return Math.max(0, Math.round(base * (1 - options.jitterRatio * random())));
}
