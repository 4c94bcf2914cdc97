import type { EventLogRepo } from '../event-log-records.js';
import type { WebhookEventRecord } from '../webhook-records.js';
import type { Queryable, Row } from './queryable.js';

export const EVENT_COLUMNS = 'id, project_id, type, body, created_at, sequence, subject, orchestration_id';

export const eventFromRow = (r: Row): WebhookEventRecord => ({
  id: r.id as string,
  projectId: r.project_id as string,
  type: r.type as WebhookEventRecord['type'],
  body: r.body as string,
  createdAt: r.created_at as number,
  sequence: r.sequence as number,
  subject: r.subject as string,
  orchestrationId: r.orchestration_id as string | null,
});

const ST = {
  // The upsert locks the counter row until the transaction ends: writers of one project queue here (and a
  // writer whose snapshot predates another's commit gets a serialization failure and runs again), so the
  // project's sequences commit in order. pg_notify is transactional: it is sent at COMMIT, never on rollback;
  // it goes on the cluster channel (see PostgresCluster), which only wakes readers: rows come from the table.
  next: {
    name: 'orra_event_next_sequence',
    text: `WITH c AS (INSERT INTO event_counters (project_id, last_sequence, pruned_through) VALUES ($1, 1, 0)
        ON CONFLICT (project_id) DO UPDATE SET last_sequence = event_counters.last_sequence + 1
        RETURNING last_sequence)
      SELECT last_sequence, pg_notify(current_setting('orra.channel'), json_build_object('t', 'e', 'p', $1::text)::text) FROM c`,
  },
  release: {
    name: 'orra_event_release_sequence',
    text: 'UPDATE event_counters SET last_sequence = last_sequence - 1 WHERE project_id = $1 AND last_sequence = $2',
  },
  bounds: {
    name: 'orra_event_bounds',
    text: 'SELECT last_sequence, pruned_through FROM event_counters WHERE project_id = $1',
  },
};

/** PostgreSQL event log. */
export function createEventLogRepo(q: Queryable, onSequence?: (projectId: string) => void): EventLogRepo {
  return {
    nextSequence: async (projectId) => {
      // Told before the statement runs: if it loses a conflict, the store knows which log to lock on the retry.
      onSequence?.(projectId);
      return (await q.query(ST.next, [projectId])).rows[0]!.last_sequence as number;
    },
    releaseSequence: async (projectId, sequence) => void (await q.query(ST.release, [projectId, sequence])),
    list: async (projectId, f) => {
      const values: unknown[] = [projectId, f.afterSequence, f.limit];
      let where = '';
      if (f.types !== undefined && f.types.length > 0) {
        values.push(f.types);
        where += ` AND type = ANY($${values.length}::text[])`;
      }
      if (f.orchestrationId !== undefined) {
        values.push(f.orchestrationId);
        where += ` AND orchestration_id = $${values.length}`;
      }
      const { rows } = await q.query(
        `SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE project_id = $1 AND sequence > $2${where} ORDER BY sequence LIMIT $3`,
        values,
      );
      return rows.map(eventFromRow);
    },
    bounds: async (projectId) => {
      const r = (await q.query(ST.bounds, [projectId])).rows[0];
      return { headSequence: (r?.last_sequence as number | undefined) ?? 0, prunedThrough: (r?.pruned_through as number | undefined) ?? 0 };
    },
  };
}
