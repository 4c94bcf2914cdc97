import type { Migration } from '../../sqlite/migrations/migration.js';

/** Open service-health episodes: see the SQLite migration of the same number for the why. */
export const M0017_SERVICE_HEALTH: Migration = {
  version: 17,
  name: 'service-health',
  sql: `
      CREATE TABLE service_health (
        service_id TEXT PRIMARY KEY REFERENCES services(id),
        project_id TEXT NOT NULL,
        away_since BIGINT NOT NULL,
        unhealthy_since BIGINT NOT NULL
      );
  `,
};
