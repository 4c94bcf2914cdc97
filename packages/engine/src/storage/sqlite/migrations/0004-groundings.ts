import type { Migration } from './migration.js';

/** Grounding specs: one row per project and name; the use cases and constraints are JSON. */
export const M0004_GROUNDINGS: Migration = {
  version: 4,
  name: 'groundings',
  sql: `
      CREATE TABLE groundings (
        project_id TEXT NOT NULL REFERENCES projects(id),
        name TEXT NOT NULL,
        domain TEXT NOT NULL,
        version TEXT NOT NULL,
        use_cases TEXT NOT NULL,
        constraints TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (project_id, name)
      );
  `,
};
