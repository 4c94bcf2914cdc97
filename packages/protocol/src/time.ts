/** RFC 3339 in UTC with millisecond precision trimmed of trailing zeros, like Go's encoding of time.Time. */
export function rfc3339(date: Date | number): string {
  const iso = new Date(date).toISOString(); // 2025-01-02T03:04:05.678Z
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** RFC 3339 UTC without fractional seconds (webhook `timestamp`), e.g. `2026-10-27T15:30:45Z`. */
export function rfc3339Seconds(date: Date | number): string {
  return new Date(date).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Go's zero time, which orra sends for unset times that its encoder never omits. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
