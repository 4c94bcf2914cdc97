import type { Migration } from './migration.js';

/**
 * Open service-health episodes (issue 12, item 6): one row per service a `service.unhealthy` was written
 * for and whose `service.healthy` has not been. Inserting the row is the claim that makes the episode
 * single when several engine processes see the same service away; deleting it is the claim for the
 * `healthy`. At most one row per service. See docs/events.md.
 */
export const M0017_SERVICE_HEALTH: Migration = {
  version: 17,
  name: 'service-health',
  sql: `
      CREATE TABLE service_health (
        service_id TEXT PRIMARY KEY REFERENCES services(id),
        project_id TEXT NOT NULL,
        away_since INTEGER NOT NULL,
        unhealthy_since INTEGER NOT NULL
      );
  `,
};
