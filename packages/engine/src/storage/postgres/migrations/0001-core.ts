import type { Migration } from '../../sqlite/migrations/migration.js';

/**
 * Projects, keys, services, orchestrations, their tasks and the append-only journal. Times are epoch ms in
 * BIGINT (read back as numbers); JSON is `json`, not `jsonb`, so a service's output comes back with its
 * keys in the order it sent them, and `\u0000` inside strings is accepted, as on SQLite. A `rowid` column
 * stands in for SQLite's implicit one where lists order ties by insertion (same created_at).
 */
export const M0001_CORE: Migration = {
  version: 1,
  name: 'core',
  sql: `
      CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        webhooks JSON NOT NULL DEFAULT '[]',
        compensation_failure_webhooks JSON NOT NULL DEFAULT '[]'
      );
      CREATE TABLE api_keys (
        key_hash TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        prefix TEXT NOT NULL,
        is_primary BOOLEAN NOT NULL,
        created_at BIGINT NOT NULL,
        rowid BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX api_keys_project ON api_keys(project_id);
      CREATE TABLE services (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        schema JSON NOT NULL,
        revertible BOOLEAN NOT NULL,
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX services_project ON services(project_id);
      CREATE TABLE orchestrations (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        action TEXT NOT NULL,
        data JSON,
        plan JSON,
        task_zero JSON NOT NULL,
        status TEXT NOT NULL,
        error JSON,
        results JSON,
        abort_reason JSON,
        timeout_ms BIGINT NOT NULL,
        grace_ms BIGINT NOT NULL,
        timeout_text TEXT,
        grace_text TEXT,
        planner TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        rowid BIGINT GENERATED ALWAYS AS IDENTITY
      );
      CREATE INDEX orchestrations_project ON orchestrations(project_id, created_at DESC, rowid);
      CREATE INDEX orchestrations_in_flight ON orchestrations(created_at) WHERE status IN ('pending', 'processing');
      CREATE TABLE tasks (
        orchestration_id TEXT NOT NULL REFERENCES orchestrations(id),
        task_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        service_id TEXT NOT NULL,
        service_name TEXT NOT NULL,
        input JSON NOT NULL,
        resolved_input JSON,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        consecutive_errors INTEGER NOT NULL,
        idempotency_key TEXT,
        execution_id TEXT,
        output JSON,
        error TEXT,
        paused_since BIGINT,
        next_attempt_at BIGINT,
        compensation JSON,
        completed_at BIGINT,
        PRIMARY KEY (orchestration_id, task_id)
      );
      CREATE TABLE journal (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        orchestration_id TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        type TEXT NOT NULL,
        task_id TEXT,
        producer_id TEXT NOT NULL,
        value JSON,
        attempt INTEGER NOT NULL,
        at BIGINT NOT NULL,
        UNIQUE (orchestration_id, entry_id)
      );
      -- SQLite reads a journal through its rowid order; here an index keeps that read a range scan.
      CREATE INDEX journal_by_orchestration ON journal(orchestration_id, seq);
  `,
};
