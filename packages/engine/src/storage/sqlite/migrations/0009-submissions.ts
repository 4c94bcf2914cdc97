import type { Migration } from './migration.js';

/**
 * Two things a client's submission relies on:
 * - `submission_keys`: the `Idempotency-Key` of each `POST /orchestrations`, per project, written in the
 *   transaction that stores the orchestration, so a crash cannot keep one without the other. Kept 24 h.
 * - `projects.name_key`: the trimmed, lower-cased name, unique per engine. Existing rows get it only for
 *   the oldest of each group of names that now count as the same, so a database that already holds
 *   duplicates migrates (they stay; new ones are refused). SQLite's lower() folds only ASCII, so such an
 *   old name with other capitals is compared as stored.
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
        created_at INTEGER NOT NULL,
        PRIMARY KEY (project_id, key)
      );
      CREATE INDEX submission_keys_created ON submission_keys(created_at);
      CREATE INDEX submission_keys_orchestration ON submission_keys(orchestration_id);
      ALTER TABLE projects ADD COLUMN name_key TEXT;
      UPDATE projects SET name_key = lower(trim(name))
        WHERE trim(name) <> '' AND rowid = (SELECT min(p.rowid) FROM projects p WHERE lower(trim(p.name)) = lower(trim(projects.name)));
      CREATE UNIQUE INDEX projects_name_key ON projects(name_key);
  `,
};
