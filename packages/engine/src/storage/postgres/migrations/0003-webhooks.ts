import type { Migration } from '../../sqlite/migrations/migration.js';

/** Webhook endpoints, the event outbox, one delivery per event and endpoint, and every attempt. */
export const M0003_WEBHOOKS: Migration = {
  version: 3,
  name: 'webhooks',
  sql: `
      CREATE TABLE webhook_endpoints (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        kind TEXT NOT NULL,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_secret_expires_at BIGINT,
        is_enabled BOOLEAN NOT NULL,
        disabled_reason TEXT,
        disabled_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        deleted_at BIGINT,
        -- SQLite's implicit rowid: endpoints created in the same millisecond list in insertion order.
        rowid BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE UNIQUE INDEX webhook_endpoints_url ON webhook_endpoints(project_id, kind, url) WHERE deleted_at IS NULL;
      CREATE INDEX webhook_endpoints_project ON webhook_endpoints(project_id, kind) WHERE deleted_at IS NULL;
      CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        type TEXT NOT NULL,
        -- The exact bytes every delivery sends (signatures cover them): text, never re-serialised JSON.
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id TEXT NOT NULL REFERENCES webhook_events(id),
        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
        project_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        run_attempts INTEGER NOT NULL,
        next_attempt_at BIGINT,
        last_http_status INTEGER,
        last_error TEXT,
        version INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(endpoint_id, next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_project ON webhook_deliveries(project_id, seq DESC);
      CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, status, created_at);
      CREATE TABLE webhook_attempts (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_seq BIGINT NOT NULL REFERENCES webhook_deliveries(seq),
        attempt INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        http_status INTEGER,
        response_body TEXT,
        error TEXT,
        is_success BOOLEAN NOT NULL
      );
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_seq, seq);
  `,
};
