import type { DueEndpoint } from './webhook-records.js';

type Row = Record<string, unknown>;

/**
 * Reads the due-endpoints query's rows through each endpoint's breaker (both stores): an active endpoint is
 * due when its earliest delivery is (but not within a 429's Retry-After); a failing or probing one only
 * for its next probe; a paused one never. An endpoint with no pending delivery is never due.
 */
export function dueEndpointsOf(rows: Row[]): DueEndpoint[] {
  const out: DueEndpoint[] = [];
  for (const r of rows) {
    if (r.due_at === null || r.due_at === undefined) continue;
    const state = (r.state as string | null) ?? 'active';
    const endpointId = r.endpoint_id as string;
    if (state === 'paused') continue;
    if (state === 'failing' || state === 'probing') {
      out.push({ endpointId, dueAt: Number(r.next_probe_at ?? 0), isProbe: true, window: null });
      continue;
    }
    const throttledUntil =
      r.throttled_until === null || r.throttled_until === undefined ? 0 : Number(r.throttled_until);
    const window =
      r.slow_start_window === null || r.slow_start_window === undefined ? null : Number(r.slow_start_window);
    out.push({ endpointId, dueAt: Math.max(Number(r.due_at), throttledUntil), isProbe: false, window });
  }
  return out;
}
