import type { Migration } from './migration.js';

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
        previous_secret_expires_at INTEGER,
        is_enabled INTEGER NOT NULL,
        disabled_reason TEXT,
        disabled_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE UNIQUE INDEX webhook_endpoints_url ON webhook_endpoints(project_id, kind, url) WHERE deleted_at IS NULL;
      CREATE INDEX webhook_endpoints_project ON webhook_endpoints(project_id, kind) WHERE deleted_at IS NULL;
      CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        type TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL REFERENCES webhook_events(id),
        endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
        project_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        run_attempts INTEGER NOT NULL,
        next_attempt_at INTEGER,
        last_http_status INTEGER,
        last_error TEXT,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(endpoint_id, next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_project ON webhook_deliveries(project_id, seq DESC);
      CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, status, created_at);
      CREATE TABLE webhook_attempts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_seq INTEGER NOT NULL REFERENCES webhook_deliveries(seq),
        attempt INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        http_status INTEGER,
        response_body TEXT,
        error TEXT,
        is_success INTEGER NOT NULL
      );
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_seq, seq);
  `,
};
