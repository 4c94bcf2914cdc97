import type { Migration } from '../../sqlite/migrations/migration.js';

/**
 * As SQLite's 0009: `submission_keys` (the `Idempotency-Key` of each `POST /orchestrations`, written with
 * the orchestration) and `projects.name_key` (unique per engine; existing duplicates keep theirs only on
 * the oldest row of each group, so the migration succeeds and new duplicates are refused).
 */
export const M0009_SUBMISSIONS: Migration = {
  version: 9,
  name: 'submissions',
  sql: `
      CREATE TABLE submission_keys (
        project_id TEXT NOT NULL REFERENCES projects(id),
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        orchestration_id TEXT NOT NULL REFERENCES orchestrations(id),
        status_code INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (project_id, key)
      );
      CREATE INDEX submission_keys_created ON submission_keys(created_at);
      CREATE INDEX submission_keys_orchestration ON submission_keys(orchestration_id);
      ALTER TABLE projects ADD COLUMN name_key TEXT;
      UPDATE projects p SET name_key = lower(btrim(p.name))
        WHERE btrim(p.name) <> '' AND p.id = (SELECT o.id FROM projects o WHERE lower(btrim(o.name)) = lower(btrim(p.name))
          ORDER BY o.created_at, o.id LIMIT 1);
      CREATE UNIQUE INDEX projects_name_key ON projects(name_key);
  `,
};
