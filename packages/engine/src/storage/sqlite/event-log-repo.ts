import type Database from 'better-sqlite3';
import type { EventLogRepo } from '../event-log-records.js';
import type { WebhookEventRecord } from '../webhook-records.js';

type Row = Record<string, unknown>;

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

/** SQLite: one connection writes, so the counter row alone keeps sequences gapless and in commit order. */
export function createEventLogRepo(db: Database.Database): EventLogRepo {
  const st = {
    next: db.prepare(
      `INSERT INTO event_counters (project_id, last_sequence, pruned_through) VALUES (?, 1, 0)
       ON CONFLICT (project_id) DO UPDATE SET last_sequence = last_sequence + 1 RETURNING last_sequence`,
    ),
    release: db.prepare('UPDATE event_counters SET last_sequence = last_sequence - 1 WHERE project_id = ? AND last_sequence = ?'),
    bounds: db.prepare('SELECT last_sequence, pruned_through FROM event_counters WHERE project_id = ?'),
  };
  // Filters vary per request; the four shapes are prepared once each.
  const lists = new Map<string, Database.Statement>();
  const listStatement = (byType: boolean, byOrchestration: boolean) => {
    const key = `${byType}|${byOrchestration}`;
    let s = lists.get(key);
    if (!s) {
      s = db.prepare(
        `SELECT ${EVENT_COLUMNS} FROM webhook_events WHERE project_id = @projectId AND sequence > @after
         ${byType ? 'AND type IN (SELECT value FROM json_each(@types))' : ''}
         ${byOrchestration ? 'AND orchestration_id = @orchestrationId' : ''}
         ORDER BY sequence LIMIT @limit`,
      );
      lists.set(key, s);
    }
    return s;
  };
  return {
    nextSequence: async (projectId) => (st.next.get(projectId) as { last_sequence: number }).last_sequence,
    releaseSequence: async (projectId, sequence) => void st.release.run(projectId, sequence),
    list: async (projectId, f) => {
      const byType = f.types !== undefined && f.types.length > 0;
      const byOrchestration = f.orchestrationId !== undefined;
      const params: Row = { projectId, after: f.afterSequence, limit: f.limit };
      if (byType) params.types = JSON.stringify(f.types);
      if (byOrchestration) params.orchestrationId = f.orchestrationId;
      return (listStatement(byType, byOrchestration).all(params) as Row[]).map(eventFromRow);
    },
    bounds: async (projectId) => {
      const r = st.bounds.get(projectId) as { last_sequence: number; pruned_through: number } | undefined;
      return { headSequence: r?.last_sequence ?? 0, prunedThrough: r?.pruned_through ?? 0 };
    },
  };
}
