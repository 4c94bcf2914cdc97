import type { Migration } from './migration.js';

/**
 * The endpoint circuit breaker (issue 12, item 5): one row per endpoint that has failed or been paused
 * (none = active). Durable so that a restart keeps holding events, and so that with several engine
 * processes one process's decision (trip, probe, recovery) is seen by all. See docs/webhooks.md.
 */
export const M0016_BREAKERS: Migration = {
  version: 16,
  name: 'breakers',
  sql: `
      CREATE TABLE webhook_breakers (
        endpoint_id TEXT PRIMARY KEY REFERENCES webhook_endpoints(id),
        project_id TEXT NOT NULL,
        state TEXT NOT NULL,
        state_since INTEGER NOT NULL,
        consecutive_failures INTEGER NOT NULL,
        first_failed_event_id TEXT,
        is_spanning_events INTEGER NOT NULL,
        failing_since INTEGER,
        probes INTEGER NOT NULL,
        next_probe_at INTEGER,
        throttled_until INTEGER,
        slow_start_window INTEGER,
        updated_at INTEGER NOT NULL
      );
  `,
};
