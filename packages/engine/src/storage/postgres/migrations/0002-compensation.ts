import type { Migration } from '../../sqlite/migrations/migration.js';

/** Compensations (one per completed revertible task of a failed/aborted orchestration) and their audit trail. */
export const M0002_COMPENSATION: Migration = {
  version: 2,
  name: 'compensation',
  sql: `
      CREATE TABLE compensations (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        orchestration_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        service_id TEXT NOT NULL,
        service_name TEXT NOT NULL,
        position INTEGER NOT NULL,
        status TEXT NOT NULL,
        data JSON,
        ttl_ms BIGINT NOT NULL,
        context JSON NOT NULL,
        task_input JSON,
        task_completed_at BIGINT NOT NULL,
        idempotency_key TEXT NOT NULL,
        execution_id TEXT,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        next_attempt_at BIGINT,
        last_error TEXT,
        partial JSON,
        failed_at BIGINT,
        resolution_state TEXT,
        resolution TEXT,
        resolved_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        UNIQUE (orchestration_id, task_id)
      );
      CREATE INDEX compensations_active ON compensations(orchestration_id, position)
        WHERE status IN ('pending', 'waiting', 'processing');
      CREATE INDEX compensations_failed ON compensations(project_id, failed_at DESC) WHERE failed_at IS NOT NULL;
      CREATE INDEX compensations_failed_state ON compensations(project_id, resolution_state, failed_at DESC)
        WHERE failed_at IS NOT NULL;
      CREATE TABLE compensation_audit (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        compensation_id TEXT NOT NULL REFERENCES compensations(id),
        at BIGINT NOT NULL,
        key_id TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT,
        previous_state TEXT NOT NULL,
        new_state TEXT NOT NULL
      );
      CREATE INDEX compensation_audit_by_id ON compensation_audit(compensation_id, seq);
  `,
};
