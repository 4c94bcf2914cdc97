import type Database from 'better-sqlite3';
import type { GroundingRecord, GroundingRepo } from '../grounding-records.js';

type Row = Record<string, unknown>;

/** SQLite implementation of the grounding repository. */
export function createGroundingRepo(db: Database.Database): GroundingRepo {
  const upsert = db.prepare(
    `INSERT INTO groundings (project_id, name, domain, version, use_cases, constraints, created_at, updated_at)
     VALUES (@projectId, @name, @domain, @version, @useCases, @constraints, @createdAt, @updatedAt)
     ON CONFLICT (project_id, name) DO UPDATE SET domain = excluded.domain, version = excluded.version,
       use_cases = excluded.use_cases, constraints = excluded.constraints, updated_at = excluded.updated_at`,
  );
  const get = db.prepare('SELECT * FROM groundings WHERE project_id = ? AND name = ?');
  const list = db.prepare('SELECT * FROM groundings WHERE project_id = ? ORDER BY name');
  const remove = db.prepare('DELETE FROM groundings WHERE project_id = ? AND name = ?');
  const removeAll = db.prepare('DELETE FROM groundings WHERE project_id = ?');
  return {
    async upsert(r) {
      upsert.run({
        projectId: r.projectId,
        name: r.name,
        domain: r.domain,
        version: r.version,
        useCases: JSON.stringify(r.useCases),
        constraints: r.constraints === null ? null : JSON.stringify(r.constraints),
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
      });
    },
    async get(projectId, name) {
      const row = get.get(projectId, name) as Row | undefined;
      return row ? fromRow(row) : undefined;
    },
    async listByProject(projectId) {
      return (list.all(projectId) as Row[]).map(fromRow);
    },
    async delete(projectId, name) {
      return remove.run(projectId, name).changes > 0;
    },
    async deleteAll(projectId) {
      return removeAll.run(projectId).changes;
    },
  };
}

function fromRow(r: Row): GroundingRecord {
  return {
    projectId: r.project_id as string,
    name: r.name as string,
    domain: r.domain as string,
    version: r.version as string,
    useCases: JSON.parse(r.use_cases as string) as GroundingRecord['useCases'],
    constraints: r.constraints === null ? null : (JSON.parse(r.constraints as string) as string[]),
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}
