/**
 * The scale-out SQL (PostgreSQL only; tables from migration 0005). A node is alive while the session it
 * registered from exists: `pg_stat_activity` lists every session of the server, and a (pid, start time)
 * pair never names two sessions.
 */
const LIVE = `SELECT n.id FROM engine_nodes n
  JOIN pg_stat_activity a ON a.pid = n.backend_pid AND a.backend_start = n.backend_start`;

export const CLUSTER_SQL = {
  /** Run on the node's own listening session, so the row names that session. */
  register: `INSERT INTO engine_nodes (id, backend_pid, backend_start, host, pid, started_at)
    SELECT $1, pid, backend_start, $2, $3, $4 FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
  deadNodes: `SELECT id FROM engine_nodes WHERE id NOT IN (${LIVE})`,
  forgetDeadNodes: `DELETE FROM engine_nodes WHERE id NOT IN (${LIVE})`,
  forgetDeadSockets: `DELETE FROM service_sockets WHERE node_id NOT IN (${LIVE})`,
  retargetDeadDispatch: `UPDATE cluster_dispatch SET target_node = NULL
    WHERE target_node IS NOT NULL AND target_node NOT IN (${LIVE}) RETURNING service_id`,
  // Work whose owner is not alive (or predates ownership: NULL) is claimed; rows another node is claiming
  // at the same moment are skipped, so each goes to exactly one node.
  claimOrchestrations: `UPDATE orchestrations SET owner_node = $1 WHERE id IN (
      SELECT id FROM orchestrations WHERE status IN ('pending', 'processing')
        AND (owner_node IS NULL OR owner_node NOT IN (${LIVE})) FOR UPDATE SKIP LOCKED)
    RETURNING id`,
  claimCompensations: `UPDATE compensations SET owner_node = $1 WHERE id IN (
      SELECT id FROM compensations WHERE status IN ('pending', 'waiting', 'processing')
        AND (owner_node IS NULL OR owner_node NOT IN (${LIVE})) FOR UPDATE SKIP LOCKED)
    RETURNING id`,
  claimDeliveries: `UPDATE webhook_deliveries SET claimed_by = $1 WHERE seq IN (
      SELECT seq FROM webhook_deliveries WHERE status = 'pending'
        AND (claimed_by IS NULL OR claimed_by NOT IN (${LIVE})) FOR UPDATE SKIP LOCKED)`,
  /** Sockets of live nodes other than this one, per service. */
  remoteSockets: `SELECT service_id, node_id, count(*)::int AS n FROM service_sockets
    WHERE node_id <> $1 AND node_id IN (${LIVE}) GROUP BY service_id, node_id`,
  remoteSocketsOf: `SELECT node_id, count(*)::int AS n FROM service_sockets
    WHERE service_id = $2 AND node_id <> $1 AND node_id IN (${LIVE}) GROUP BY node_id`,
  // Each write below notifies in the same statement, so the notification goes out when it commits.
  socketUp: `WITH ins AS (INSERT INTO service_sockets (socket_id, node_id, service_id, connected_at)
      VALUES ($1, $2, $3, $4)) SELECT pg_notify($5, $6)`,
  socketDown: `WITH del AS (DELETE FROM service_sockets WHERE socket_id = $1) SELECT pg_notify($2, $3)`,
  enqueueDispatch: `WITH ins AS (INSERT INTO cluster_dispatch (service_id, target_node, message, created_at, execution_id)
      VALUES ($1, $2, $3, $4, $7)) SELECT pg_notify($5, $6)`,
  // The claim records, in the same statement, that this node is sending each request: a node taking the
  // owner's work over never finds a request neither waiting nor sent (and sends it again).
  claimDispatch: `WITH c AS (DELETE FROM cluster_dispatch WHERE id IN (
      SELECT id FROM cluster_dispatch WHERE service_id = $1 AND (target_node IS NULL OR target_node = $2)
      ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING id, message, execution_id),
    s AS (INSERT INTO cluster_sent (execution_id, node_id, socket_id, sent_at)
      SELECT execution_id, $2, '', $4 FROM c WHERE execution_id IS NOT NULL
      ON CONFLICT (execution_id) DO UPDATE SET node_id = EXCLUDED.node_id, socket_id = '', sent_at = EXCLUDED.sent_at)
    SELECT id, message, execution_id FROM c`,
  /** Which local socket each claimed request went out on. */
  sentOn: `UPDATE cluster_sent SET socket_id = u.socket_id
    FROM unnest($1::text[], $2::text[]) AS u(execution_id, socket_id) WHERE cluster_sent.execution_id = u.execution_id`,
  /**
   * Of these attempts' execution ids, those still out with a live node: waiting in cluster_dispatch (a
   * node holding a socket of the service will send it), or sent by a node that is alive.
   */
  attemptsOut: `SELECT execution_id, 'waiting' AS how, target_node AS node_id, '' AS socket_id FROM cluster_dispatch
      WHERE execution_id = ANY($1::text[])
    UNION ALL
    SELECT execution_id, 'sent', node_id, socket_id FROM cluster_sent
      WHERE execution_id = ANY($1::text[]) AND node_id IN (${LIVE})`,
  enqueueInbox: `WITH ins AS (INSERT INTO cluster_inbox (idempotency_key, service_id, payload, created_at)
      VALUES ($1, $2, $3, $4) RETURNING id)
    SELECT pg_notify($5, json_build_object('t', 'i', 'id', id, 'k', $1::text)::text) FROM ins`,
  listInbox: 'SELECT id, idempotency_key FROM cluster_inbox WHERE id > $1 ORDER BY id LIMIT $2',
  claimInbox: 'DELETE FROM cluster_inbox WHERE id = $1 RETURNING idempotency_key, service_id, payload',
  /** A clean stop: the node's rows go, so its work has no live owner and others claim it at once. */
  leave: `WITH s AS (DELETE FROM service_sockets WHERE node_id = $1), n AS (DELETE FROM engine_nodes WHERE id = $1)
    SELECT pg_notify($2, $3)`,
  pruneDispatch: 'DELETE FROM cluster_dispatch WHERE created_at < $1',
  pruneSent: 'DELETE FROM cluster_sent WHERE sent_at < $1',
  pruneInbox: 'DELETE FROM cluster_inbox WHERE created_at < $1',
};
