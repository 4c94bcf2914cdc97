import type { Migration } from '../../sqlite/migrations/migration.js';

/** Fewer index entries per event: see the SQLite migration of the same number for the why. */
export const M0018_EVENT_INDEXES: Migration = {
  version: 18,
  name: 'event-indexes',
  sql: `
      DROP INDEX webhook_events_project_created;
      DROP INDEX webhook_events_created;
      CREATE INDEX webhook_events_created ON webhook_events(created_at) WHERE sequence IS NULL;
  `,
};
