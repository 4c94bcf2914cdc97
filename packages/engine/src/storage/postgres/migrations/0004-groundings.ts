import type { Migration } from '../../sqlite/migrations/migration.js';

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
        use_cases JSON NOT NULL,
        constraints JSON,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (project_id, name)
      );
  `,
};
