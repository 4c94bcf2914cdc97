import type { RetentionRepo } from '../retention-records.js';
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
    text: `SELECT e.id FROM webhook_events e WHERE e.created_at < $1
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
      LIMIT $2`,
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
      const ids = (await q.query(ST.oldEvents, [cutoff, limit])).rows.map((r) => r.id as string);
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
