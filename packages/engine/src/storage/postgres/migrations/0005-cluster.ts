import type { Migration } from '../../sqlite/migrations/migration.js';

/**
 * Several engine processes on one database (architecture §11).
 *
 * - `engine_nodes`: one row per running process. A node is alive while the PostgreSQL session it
 *   registered from (backend pid + start time) exists: PostgreSQL ends that session as soon as the
 *   process dies, so no heartbeat writes are needed and failover does not wait for a lease to run out.
 * - Ownership: `orchestrations.owner_node`, `compensations.owner_node` and `webhook_deliveries.claimed_by`
 *   default to the writing session's `orra.node` setting (every engine connection sets it at start-up),
 *   so the node that creates work owns it without any extra statement. Work whose owner is not alive is
 *   claimed by another node with FOR UPDATE SKIP LOCKED.
 * - `service_sockets`: which node holds which service socket (the connection registry).
 * - `cluster_dispatch`: messages for a service whose socket lives on another node; a node holding one
 *   claims them with FOR UPDATE SKIP LOCKED, so exactly one sends each.
 * - `cluster_inbox`: messages a service sent to a node that does not own their task; the owner takes them.
 */
export const M0005_CLUSTER: Migration = {
  version: 5,
  name: 'cluster',
  sql: `
      CREATE TABLE engine_nodes (
        id TEXT PRIMARY KEY,
        backend_pid INTEGER NOT NULL,
        backend_start TIMESTAMPTZ NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at BIGINT NOT NULL
      );
      ALTER TABLE orchestrations ADD COLUMN owner_node TEXT DEFAULT current_setting('orra.node', true);
      CREATE INDEX orchestrations_owner ON orchestrations(owner_node) WHERE status IN ('pending', 'processing');
      ALTER TABLE compensations ADD COLUMN owner_node TEXT DEFAULT current_setting('orra.node', true);
      CREATE INDEX compensations_owner ON compensations(owner_node) WHERE status IN ('pending', 'waiting', 'processing');
      ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT DEFAULT current_setting('orra.node', true);
      CREATE INDEX webhook_deliveries_claimed ON webhook_deliveries(claimed_by) WHERE status = 'pending';
      CREATE TABLE service_sockets (
        socket_id TEXT PRIMARY KEY,
        node_id TEXT NOT NULL,
        service_id TEXT NOT NULL,
        connected_at BIGINT NOT NULL
      );
      CREATE INDEX service_sockets_node ON service_sockets(node_id);
      CREATE TABLE cluster_dispatch (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        service_id TEXT NOT NULL,
        -- The node picked to send it; NULL = any node holding a socket of the service.
        target_node TEXT,
        message TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX cluster_dispatch_service ON cluster_dispatch(service_id, id);
      CREATE TABLE cluster_inbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        idempotency_key TEXT NOT NULL,
        service_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX cluster_inbox_key ON cluster_inbox(idempotency_key);
  `,
};
