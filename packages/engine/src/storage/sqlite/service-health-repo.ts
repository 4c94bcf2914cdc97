import type Database from 'better-sqlite3';
import type { ServiceHealthEpisode, ServiceHealthRepo } from '../service-health-records.js';

type Row = Record<string, unknown>;

export function episodeFromRow(row: Row): ServiceHealthEpisode {
  return {
    serviceId: String(row.service_id),
    projectId: String(row.project_id),
    awaySince: Number(row.away_since),
    unhealthySince: Number(row.unhealthy_since),
  };
}

/** SQLite implementation: one process, one writer; the insert-or-nothing is the claim all the same. */
export function createServiceHealthRepo(db: Database.Database): ServiceHealthRepo {
  const st = {
    open: db.prepare(
      `INSERT INTO service_health (service_id, project_id, away_since, unhealthy_since) VALUES (?, ?, ?, ?)
       ON CONFLICT (service_id) DO NOTHING`,
    ),
    close: db.prepare(
      `DELETE FROM service_health WHERE service_id = ? RETURNING service_id, project_id, away_since, unhealthy_since`,
    ),
    isOpen: db.prepare(`SELECT 1 FROM service_health WHERE service_id = ?`),
  };
  return {
    open: async (e) => st.open.run(e.serviceId, e.projectId, e.awaySince, e.unhealthySince).changes === 1,
    close: async (serviceId) => {
      const row = st.close.get(serviceId) as Row | undefined;
      return row ? episodeFromRow(row) : undefined;
    },
    isOpen: async (serviceId) => st.isOpen.get(serviceId) !== undefined,
  };
}
