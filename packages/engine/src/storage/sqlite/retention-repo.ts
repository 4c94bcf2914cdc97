import type Database from 'better-sqlite3';
import type { RetentionRepo } from '../retention-records.js';

/** Ids travel as one JSON array parameter, read back with json_each. */
const IDS = 'SELECT value FROM json_each(?)';

export function createRetentionRepo(db: Database.Database): RetentionRepo {
  const st = {
    finished: db.prepare(
      `SELECT o.id FROM orchestrations o
       WHERE o.status IN ('completed', 'failed', 'aborted') AND o.updated_at < ?
         AND NOT EXISTS (SELECT 1 FROM compensations c WHERE c.orchestration_id = o.id
           AND (c.status IN ('pending', 'waiting', 'processing') OR (c.failed_at IS NOT NULL AND c.resolution_state = 'pending')))
       LIMIT ?`,
    ),
    audit: db.prepare(`DELETE FROM compensation_audit WHERE compensation_id IN
      (SELECT id FROM compensations WHERE orchestration_id IN (${IDS}))`),
    compensations: db.prepare(`DELETE FROM compensations WHERE orchestration_id IN (${IDS})`),
    orchestrationKeys: db.prepare(`DELETE FROM submission_keys WHERE orchestration_id IN (${IDS})`),
    oldKeys: db.prepare(
      'DELETE FROM submission_keys WHERE rowid IN (SELECT rowid FROM submission_keys WHERE created_at < ? LIMIT ?)',
    ),
    journal: db.prepare(`DELETE FROM journal WHERE orchestration_id IN (${IDS})`),
    tasks: db.prepare(`DELETE FROM tasks WHERE orchestration_id IN (${IDS})`),
    orchestrations: db.prepare(`DELETE FROM orchestrations WHERE id IN (${IDS})`),
    oldEvents: db.prepare(
      `SELECT e.id FROM webhook_events e WHERE e.created_at < ?
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
       LIMIT ?`,
    ),
    attempts: db.prepare(`DELETE FROM webhook_attempts WHERE delivery_seq IN
      (SELECT seq FROM webhook_deliveries WHERE event_id IN (${IDS}))`),
    deliveries: db.prepare(`DELETE FROM webhook_deliveries WHERE event_id IN (${IDS})`),
    events: db.prepare(`DELETE FROM webhook_events WHERE id IN (${IDS})`),
  };
  return {
    pruneOrchestrations: async (cutoff, limit) => {
      const ids = (st.finished.all(cutoff, limit) as { id: string }[]).map((r) => r.id);
      if (ids.length === 0) return 0;
      const json = JSON.stringify(ids);
      for (const s of [
        st.audit,
        st.compensations,
        st.orchestrationKeys,
        st.journal,
        st.tasks,
        st.orchestrations,
      ])
        s.run(json);
      return ids.length;
    },
    pruneWebhookEvents: async (cutoff, limit) => {
      const ids = (st.oldEvents.all(cutoff, limit) as { id: string }[]).map((r) => r.id);
      if (ids.length === 0) return 0;
      const json = JSON.stringify(ids);
      for (const s of [st.attempts, st.deliveries, st.events]) s.run(json);
      return ids.length;
    },
    pruneSubmissionKeys: async (cutoff, limit) => st.oldKeys.run(cutoff, limit).changes,
  };
}
