import type { ServiceHealthRepo } from '../service-health-records.js';
import { episodeFromRow } from '../sqlite/service-health-repo.js';
import { first, type Queryable } from './queryable.js';

// Two processes opening (or closing) the same episode at once: the second waits on the row, then its
// REPEATABLE READ transaction fails with a serialization error and runs again, finding the row there
// (or gone) and writing no event. Exactly one process writes each `service.unhealthy` / `service.healthy`.
const ST = {
  open: {
    name: 'orra_service_health_open',
    text: `INSERT INTO service_health (service_id, project_id, away_since, unhealthy_since) VALUES ($1, $2, $3, $4)
      ON CONFLICT (service_id) DO NOTHING`,
  },
  close: {
    name: 'orra_service_health_close',
    text: `DELETE FROM service_health WHERE service_id = $1 RETURNING service_id, project_id, away_since, unhealthy_since`,
  },
  isOpen: { name: 'orra_service_health_is_open', text: `SELECT 1 FROM service_health WHERE service_id = $1` },
};

/** PostgreSQL implementation of the service-health episodes. */
export function createServiceHealthRepo(q: Queryable): ServiceHealthRepo {
  return {
    open: async (e) =>
      ((await q.query(ST.open, [e.serviceId, e.projectId, e.awaySince, e.unhealthySince])).rowCount ?? 0) ===
      1,
    close: async (serviceId) => first(await q.query(ST.close, [serviceId]), episodeFromRow),
    isOpen: async (serviceId) => ((await q.query(ST.isOpen, [serviceId])).rowCount ?? 0) > 0,
  };
}
