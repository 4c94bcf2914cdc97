import type { RetentionRepo } from '../retention-records.js';
import { takePrefix, type LogRow } from '../log-prefix.js';
import type { Queryable } from './queryable.js';

const ST = {
  finished: {
    name: 'orra_retention_finished',
    text: `SELECT o.id FROM orchestrations o
      WHERE o.status IN ('completed', 'failed', 'aborted') AND o.updated_at < $1
        AND NOT EXISTS (SELECT 1 FROM compensations c WHERE c.orchestration_id = o.id
          AND (c.status IN ('pending', 'waiting', 'processing') OR (c.failed_at IS NOT NULL AND c.resolution_state = 'pending')))
      LIMIT $2`,
  },
  deleteAudit: {
    name: 'orra_retention_delete_audit',
    text: `DELETE FROM compensation_audit WHERE compensation_id IN
      (SELECT id FROM compensations WHERE orchestration_id = ANY($1::text[]))`,
  },
  // No foreign keys between these four, so one statement deletes them all.
  deleteOrchestrationChildren: {
    name: 'orra_retention_delete_orchestration_children',
    text: `WITH c AS (DELETE FROM compensations WHERE orchestration_id = ANY($1::text[])),
        k AS (DELETE FROM submission_keys WHERE orchestration_id = ANY($1::text[])),
        j AS (DELETE FROM journal WHERE orchestration_id = ANY($1::text[]))
      DELETE FROM tasks WHERE orchestration_id = ANY($1::text[])`,
  },
  deleteOrchestrationRows: {
    name: 'orra_retention_delete_orchestration_rows',
    text: 'DELETE FROM orchestrations WHERE id = ANY($1::text[])',
  },
  oldEvents: {
    name: 'orra_retention_old_events',
    text: `SELECT e.id FROM webhook_events e WHERE e.created_at < $1 AND e.sequence IS NULL
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
      LIMIT $2`,
  },
  prunableLogs: {
    name: 'orra_retention_prunable_logs',
    text: `SELECT c.project_id, c.pruned_through FROM event_counters c
      WHERE EXISTS (SELECT 1 FROM webhook_events e WHERE e.project_id = c.project_id AND e.sequence = c.pruned_through + 1
        AND e.created_at < $1)
      LIMIT $2`,
  },
  logHead: {
    name: 'orra_retention_log_head',
    text: `SELECT e.id, e.sequence, e.created_at,
        EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending') AS is_pending
      FROM webhook_events e WHERE e.project_id = $1 AND e.sequence > $2 ORDER BY e.sequence LIMIT $3`,
  },
  prunedThrough: {
    name: 'orra_retention_pruned_through',
    text: 'UPDATE event_counters SET pruned_through = $1 WHERE project_id = $2 AND pruned_through < $1',
  },
  deleteAttempts: {
    name: 'orra_retention_delete_attempts',
    text: `DELETE FROM webhook_attempts WHERE delivery_seq IN
      (SELECT seq FROM webhook_deliveries WHERE event_id = ANY($1::text[]))`,
  },
  deleteDeliveries: {
    name: 'orra_retention_delete_deliveries',
    text: 'DELETE FROM webhook_deliveries WHERE event_id = ANY($1::text[])',
  },
  deleteOldKeys: {
    name: 'orra_retention_delete_old_keys',
    text: `DELETE FROM submission_keys WHERE ctid IN (SELECT ctid FROM submission_keys WHERE created_at < $1 LIMIT $2)`,
  },
  deleteEvents: {
    name: 'orra_retention_delete_events',
    text: 'DELETE FROM webhook_events WHERE id = ANY($1::text[])',
  },
};

export function createRetentionRepo(q: Queryable): RetentionRepo {
  return {
    pruneOrchestrations: async (cutoff, limit) => {
      const ids = (await q.query(ST.finished, [cutoff, limit])).rows.map((r) => r.id as string);
      if (ids.length === 0) return 0;
      // Children before parents, in separate statements, so no foreign-key check depends on the order
      // in which one statement's parts run.
      await q.query(ST.deleteAudit, [ids]);
      await q.query(ST.deleteOrchestrationChildren, [ids]);
      await q.query(ST.deleteOrchestrationRows, [ids]);
      return ids.length;
    },
    pruneWebhookEvents: async (cutoff, limit) => {
      // The log goes from its start only (see takePrefix); events outside it (webhook.test) by age.
      const ids: string[] = [];
      for (const p of (await q.query(ST.prunableLogs, [cutoff, limit])).rows) {
        const rows = (await q.query(ST.logHead, [p.project_id, p.pruned_through, limit - ids.length])).rows as LogRow[];
        const through = takePrefix(rows, cutoff, ids);
        if (through > (p.pruned_through as number)) await q.query(ST.prunedThrough, [through, p.project_id]);
        if (ids.length >= limit) break;
      }
      if (ids.length < limit) ids.push(...(await q.query(ST.oldEvents, [cutoff, limit - ids.length])).rows.map((r) => r.id as string));
      if (ids.length === 0) return 0;
      await q.query(ST.deleteAttempts, [ids]);
      await q.query(ST.deleteDeliveries, [ids]);
      await q.query(ST.deleteEvents, [ids]);
      return ids.length;
    },
    pruneSubmissionKeys: async (cutoff, limit) =>
      (await q.query(ST.deleteOldKeys, [cutoff, limit])).rowCount ?? 0,
  };
}
