import type { Migration } from './migration.js';

/**
 * The event log (issue 12): every event gets a per-project `sequence`, gapless and in commit order,
 * taken from a counter row per project in the transaction that commits the event (an AUTOINCREMENT would
 * not be commit-ordered on PostgreSQL, and one scheme serves both stores). `pruned_through` is the
 * highest sequence retention has deleted: a cursor below it has lost events (410). Events stored before
 * this migration are numbered in creation order.
 */
export const M0010_EVENT_LOG: Migration = {
  version: 10,
  name: 'event-log',
  sql: `
      ALTER TABLE webhook_events ADD COLUMN sequence INTEGER;
      ALTER TABLE webhook_events ADD COLUMN subject TEXT;
      ALTER TABLE webhook_events ADD COLUMN orchestration_id TEXT;
      UPDATE webhook_events SET
        subject = coalesce(json_extract(body, '$.compensation_id'), json_extract(body, '$.orchestration_id')),
        orchestration_id = json_extract(body, '$.orchestration_id');
      UPDATE webhook_events SET sequence = (SELECT r.n FROM
        (SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY created_at, rowid) AS n FROM webhook_events) r
        WHERE r.id = webhook_events.id);
      CREATE UNIQUE INDEX webhook_events_sequence ON webhook_events(project_id, sequence);
      CREATE INDEX webhook_events_orchestration ON webhook_events(project_id, orchestration_id, sequence);
      CREATE INDEX webhook_events_project_created ON webhook_events(project_id, created_at);
      CREATE TABLE event_counters (
        project_id TEXT PRIMARY KEY,
        last_sequence INTEGER NOT NULL,
        pruned_through INTEGER NOT NULL
      );
      INSERT INTO event_counters (project_id, last_sequence, pruned_through)
        SELECT project_id, max(sequence), 0 FROM webhook_events GROUP BY project_id;
  `,
};
