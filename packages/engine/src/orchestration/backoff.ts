/**
 * Exponential backoff with jitter: `initialMs × 2^(attempt-1)`, capped, then ±`jitter` (fraction).
 * `attempt` counts failures so far, from 1. The random source is injectable for tests.
 */
export function backoffMs(
  attempt: number,
  initialMs: number,
  capMs: number,
  jitter = 0.1,
  random: () => number = Math.random,
): number {
  const base = Math.min(capMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
