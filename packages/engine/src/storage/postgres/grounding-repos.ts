import type { GroundingRecord, GroundingRepo } from '../grounding-records.js';
import { first, type Queryable, type Row } from './queryable.js';

const COLUMNS = 'project_id, name, domain, version, use_cases, constraints, created_at, updated_at';

const ST = {
  upsert: {
    name: 'orra_grounding_upsert',
    text: `INSERT INTO groundings (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (project_id, name) DO UPDATE SET domain = EXCLUDED.domain, version = EXCLUDED.version,
        use_cases = EXCLUDED.use_cases, constraints = EXCLUDED.constraints, updated_at = EXCLUDED.updated_at`,
  },
  get: { name: 'orra_grounding_get', text: `SELECT ${COLUMNS} FROM groundings WHERE project_id = $1 AND name = $2` },
  // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
  list: {
    name: 'orra_grounding_list',
    text: `SELECT ${COLUMNS} FROM groundings WHERE project_id = $1 ORDER BY name COLLATE "C"`,
  },
  remove: { name: 'orra_grounding_delete', text: 'DELETE FROM groundings WHERE project_id = $1 AND name = $2' },
  removeAll: { name: 'orra_grounding_delete_all', text: 'DELETE FROM groundings WHERE project_id = $1' },
};

/** PostgreSQL implementation of the grounding repository. */
export function createGroundingRepo(q: Queryable): GroundingRepo {
  return {
    async upsert(r) {
      await q.query(ST.upsert, [
        r.projectId,
        r.name,
        r.domain,
        r.version,
        JSON.stringify(r.useCases),
        r.constraints === null ? null : JSON.stringify(r.constraints),
        r.createdAt,
        r.updatedAt,
      ]);
    },
    async get(projectId, name) {
      return first(await q.query(ST.get, [projectId, name]), fromRow);
    },
    async listByProject(projectId) {
      return (await q.query(ST.list, [projectId])).rows.map(fromRow);
    },
    async delete(projectId, name) {
      return ((await q.query(ST.remove, [projectId, name])).rowCount ?? 0) > 0;
    },
    async deleteAll(projectId) {
      return (await q.query(ST.removeAll, [projectId])).rowCount ?? 0;
    },
  };
}

function fromRow(r: Row): GroundingRecord {
  return {
    projectId: r.project_id as string,
    name: r.name as string,
    domain: r.domain as string,
    version: r.version as string,
    useCases: r.use_cases as GroundingRecord['useCases'],
    constraints: r.constraints as string[] | null,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}
