import type { Migration } from '../../sqlite/migrations/migration.js';

/**
 * Answers that no runner in memory waits for (late ones, or ones for unknown keys) are looked up by
 * their idempotency key: a task's or a compensation's.
 *
 * No duplicate sends after a takeover: a request routed through `cluster_dispatch` carries its execution
 * id, and the node that sends it to the service records that in `cluster_sent`. A node taking over a dead
 * owner's work asks whether the attempt out is still waiting in `cluster_dispatch` or was sent by a node
 * that is alive (its socket still open): then the service has it, and it is not sent again.
 */
export const M0008_ANSWERS: Migration = {
  version: 8,
  name: 'answers',
  sql: `
      CREATE INDEX tasks_idempotency_key ON tasks(idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX compensations_idempotency_key ON compensations(idempotency_key);
      ALTER TABLE cluster_dispatch ADD COLUMN execution_id TEXT;
      CREATE INDEX cluster_dispatch_execution ON cluster_dispatch(execution_id) WHERE execution_id IS NOT NULL;
      CREATE TABLE cluster_sent (
        execution_id TEXT PRIMARY KEY,
        node_id TEXT NOT NULL,
        socket_id TEXT NOT NULL,
        sent_at BIGINT NOT NULL
      );
      CREATE INDEX cluster_sent_at ON cluster_sent(sent_at);
  `,
};
