/** Capped exponential backoff with jitter, for WebSocket reconnects. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** No delay exceeds this. */
  maxDelayMs: number;
  /** Each delay is reduced by a random fraction up to this ratio (0 disables jitter). */
  jitterRatio: number;
}

/** 1 s, doubling, capped at 30 s, up to 20 % jitter. */
export const DEFAULT_RECONNECT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  jitterRatio: 0.2,
});

/**
 * The delay before retry number `attempt` (1-based): `initialDelayMs · 2^(attempt-1)`, capped.
 * Jitter only shortens the delay so the cap stays a hard upper bound, while many services that lost
 * the engine at the same moment still spread their reconnects out.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  // Clamp the exponent: 2^1024 is Infinity and a service may retry for days.
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
  return Math.max(0, Math.round(base * (1 - options.jitterRatio * random())));
}
