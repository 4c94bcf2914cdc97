import type { Migration } from './migration.js';

/** Projects, keys, services, orchestrations, their tasks and the append-only journal. */
export const M0001_CORE: Migration = {
  version: 1,
  name: 'core',
  sql: `
      CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        webhooks TEXT NOT NULL DEFAULT '[]',
        compensation_failure_webhooks TEXT NOT NULL DEFAULT '[]'
      );
      CREATE TABLE api_keys (
        key_hash TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        prefix TEXT NOT NULL,
        is_primary INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX api_keys_project ON api_keys(project_id);
      CREATE TABLE services (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        schema TEXT NOT NULL,
        revertible INTEGER NOT NULL,
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX services_project ON services(project_id);
      CREATE TABLE orchestrations (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        action TEXT NOT NULL,
        data TEXT,
        plan TEXT,
        task_zero TEXT NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        results TEXT,
        abort_reason TEXT,
        timeout_ms INTEGER NOT NULL,
        grace_ms INTEGER NOT NULL,
        timeout_text TEXT,
        grace_text TEXT,
        planner TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX orchestrations_project ON orchestrations(project_id, created_at DESC);
      CREATE INDEX orchestrations_in_flight ON orchestrations(status) WHERE status IN ('pending', 'processing');
      CREATE TABLE tasks (
        orchestration_id TEXT NOT NULL REFERENCES orchestrations(id),
        task_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        service_id TEXT NOT NULL,
        service_name TEXT NOT NULL,
        input TEXT NOT NULL,
        resolved_input TEXT,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        consecutive_errors INTEGER NOT NULL,
        idempotency_key TEXT,
        execution_id TEXT,
        output TEXT,
        error TEXT,
        paused_since INTEGER,
        next_attempt_at INTEGER,
        compensation TEXT,
        completed_at INTEGER,
        PRIMARY KEY (orchestration_id, task_id)
      );
      CREATE TABLE journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        orchestration_id TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        type TEXT NOT NULL,
        task_id TEXT,
        producer_id TEXT NOT NULL,
        value TEXT,
        attempt INTEGER NOT NULL,
        at INTEGER NOT NULL,
        UNIQUE (orchestration_id, entry_id)
      );
  `,
};
