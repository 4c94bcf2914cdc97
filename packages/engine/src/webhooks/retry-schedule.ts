import { parseGoDuration } from '@orra/protocol';

/** The default delays before each attempt: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE = '0s,5s,5m,30m,2h,5h,10h,10h';

/** The delays between a failing endpoint's probes: 10 s, 30 s, 1 m, 2 m, 5 m, 10 m, 20 m, 30 m, then hourly (the last repeats). */
export const DEFAULT_PROBE_SCHEDULE = '10s,30s,1m,2m,5m,10m,20m,30m,1h';

/** ±20 %: spreads retries of many deliveries that failed together (a receiver outage) over time. */
const JITTER = 0.2;

/**
 * Parses a comma-separated list of Go durations (`0s,5s,5m`): the delay before each attempt, the first
 * one included. Returns an error message instead when the text is not one.
 */
export function parseRetrySchedule(text: string): number[] | string {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) return 'must be a comma-separated list of durations like 0s,5s,5m';
  const delays: number[] = [];
  for (const part of parts) {
    const ms = parseGoDuration(part);
    if (ms === undefined || ms < 0) return `"${part}" is not a duration (use Go syntax: 300ms, 5s, 2h)`;
    delays.push(Math.round(ms));
  }
  return delays;
}

/**
 * When the next attempt is due after `runAttempts` failed attempts, or undefined when the schedule is
 * used up (the delivery fails). A `Retry-After` is honoured between the scheduled delay and twice it, so
 * a receiver can slow us down but neither stall a delivery forever nor make us hammer it.
 */
export function nextRetryDelayMs(
  schedule: readonly number[],
  runAttempts: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const scheduled = schedule[runAttempts];
  if (scheduled === undefined) return undefined;
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, scheduled), 2 * scheduled);
  return Math.round(scheduled * (1 + JITTER * (2 * random() - 1)));
}

/** An HTTP date as RFC 9110 requires senders to write it: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds from `now`; anything else is
 * ignored (Date.parse alone would read "in 12" as a date in 2001).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!IMF_FIXDATE.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
