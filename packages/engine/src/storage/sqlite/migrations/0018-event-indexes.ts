import type { Migration } from './migration.js';

/**
 * Fewer index entries per event: every event of the log is inserted in its state change's transaction, and
 * each index is one more b-tree write there (bench/README.md, Webhooks). `webhook_events_project_created`
 * served no query; `webhook_events_created` serves only retention's age-based pruning of events outside the
 * log (`webhook.test`, sequence NULL: logged events are pruned by sequence), so it keeps only those.
 */
export const M0018_EVENT_INDEXES: Migration = {
  version: 18,
  name: 'event-indexes',
  sql: `
      DROP INDEX webhook_events_project_created;
      DROP INDEX webhook_events_created;
      CREATE INDEX webhook_events_created ON webhook_events(created_at) WHERE sequence IS NULL;
  `,
};
