import type { Migration } from './migration.js';

/** What the retention sweeper reads: ended orchestrations by age, compensations by orchestration, events by age. */
export const M0006_RETENTION: Migration = {
  version: 6,
  name: 'retention',
  sql: `
      CREATE INDEX orchestrations_finished ON orchestrations(updated_at) WHERE status IN ('completed', 'failed', 'aborted');
      CREATE INDEX compensations_orchestration ON compensations(orchestration_id, position);
      CREATE INDEX webhook_events_created ON webhook_events(created_at);
  `,
};
