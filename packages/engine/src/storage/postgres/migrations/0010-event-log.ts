import type { Migration } from '../../sqlite/migrations/migration.js';

/** The event log: see the SQLite migration of the same number for the why. */
export const M0010_EVENT_LOG: Migration = {
  version: 10,
  name: 'event-log',
  sql: `
      ALTER TABLE webhook_events ADD COLUMN sequence BIGINT, ADD COLUMN subject TEXT, ADD COLUMN orchestration_id TEXT;
      UPDATE webhook_events w SET sequence = r.n,
          subject = coalesce(w.body::jsonb->>'compensation_id', w.body::jsonb->>'orchestration_id'),
          orchestration_id = w.body::jsonb->>'orchestration_id'
        FROM (SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY created_at, id) AS n FROM webhook_events) r
        WHERE r.id = w.id;
      CREATE UNIQUE INDEX webhook_events_sequence ON webhook_events(project_id, sequence);
      CREATE INDEX webhook_events_orchestration ON webhook_events(project_id, orchestration_id, sequence);
      CREATE INDEX webhook_events_project_created ON webhook_events(project_id, created_at);
      CREATE TABLE event_counters (
        project_id TEXT PRIMARY KEY,
        last_sequence BIGINT NOT NULL,
        pruned_through BIGINT NOT NULL
      );
      INSERT INTO event_counters (project_id, last_sequence, pruned_through)
        SELECT project_id, max(sequence), 0 FROM webhook_events GROUP BY project_id;
  `,
};
