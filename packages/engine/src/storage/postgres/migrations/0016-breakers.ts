import type { Migration } from '../../sqlite/migrations/migration.js';

/** The endpoint circuit breaker: see the SQLite migration of the same number for the why. */
export const M0016_BREAKERS: Migration = {
  version: 16,
  name: 'breakers',
  sql: `
      CREATE TABLE webhook_breakers (
        endpoint_id TEXT PRIMARY KEY REFERENCES webhook_endpoints(id),
        project_id TEXT NOT NULL,
        state TEXT NOT NULL,
        state_since BIGINT NOT NULL,
        consecutive_failures INT NOT NULL,
        first_failed_event_id TEXT,
        is_spanning_events BOOLEAN NOT NULL,
        failing_since BIGINT,
        probes INT NOT NULL,
        next_probe_at BIGINT,
        throttled_until BIGINT,
        slow_start_window INT,
        updated_at BIGINT NOT NULL
      );
  `,
};
