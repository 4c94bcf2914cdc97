import type Database from 'better-sqlite3';
import { takePrefix, type LogRow } from '../log-prefix.js';
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
    // Events outside the log (webhook.test) go by age alone.
    oldEvents: db.prepare(
      `SELECT e.id FROM webhook_events e WHERE e.created_at < ? AND e.sequence IS NULL
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
       LIMIT ?`,
    ),
    // Projects whose oldest retained logged event is older than the cutoff (one index seek each).
    prunableLogs: db.prepare(
      `SELECT c.project_id, c.pruned_through FROM event_counters c
       WHERE EXISTS (SELECT 1 FROM webhook_events e WHERE e.project_id = c.project_id AND e.sequence = c.pruned_through + 1
         AND e.created_at < ?)
       LIMIT ?`,
    ),
    logHead: db.prepare(
      `SELECT e.id, e.sequence, e.created_at,
         EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending') AS is_pending
       FROM webhook_events e WHERE e.project_id = ? AND e.sequence > ? ORDER BY e.sequence LIMIT ?`,
    ),
    prunedThrough: db.prepare('UPDATE event_counters SET pruned_through = ? WHERE project_id = ? AND pruned_through < ?'),
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
      const ids: string[] = [];
      for (const p of st.prunableLogs.all(cutoff, limit) as { project_id: string; pruned_through: number }[]) {
        const rows = st.logHead.all(p.project_id, p.pruned_through, limit - ids.length) as LogRow[];
        const through = takePrefix(rows, cutoff, ids);
        if (through > p.pruned_through) st.prunedThrough.run(through, p.project_id, through);
        if (ids.length >= limit) break;
      }
      if (ids.length < limit) ids.push(...(st.oldEvents.all(cutoff, limit - ids.length) as { id: string }[]).map((r) => r.id));
      if (ids.length === 0) return 0;
      const json = JSON.stringify(ids);
      for (const s of [st.attempts, st.deliveries, st.events]) s.run(json);
      return ids.length;
    },
    pruneSubmissionKeys: async (cutoff, limit) => st.oldKeys.run(cutoff, limit).changes,
  };
}

