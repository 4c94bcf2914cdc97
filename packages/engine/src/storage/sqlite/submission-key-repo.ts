import type Database from 'better-sqlite3';
import type { SubmissionKeyRecord, SubmissionKeyRepo } from '../submission-key-records.js';

export function createSubmissionKeyRepo(db: Database.Database): SubmissionKeyRepo {
  const st = {
    get: db.prepare('SELECT * FROM submission_keys WHERE project_id = ? AND key = ?'),
    insert: db.prepare(
      `INSERT INTO submission_keys (project_id, key, request_hash, orchestration_id, status_code, created_at)
       VALUES (@projectId, @key, @requestHash, @orchestrationId, @statusCode, @createdAt)`,
    ),
    remove: db.prepare('DELETE FROM submission_keys WHERE project_id = ? AND key = ?'),
  };
  return {
    get: async (projectId, key) => {
      const row = st.get.get(projectId, key) as Record<string, unknown> | undefined;
      return row && fromRow(row);
    },
    insert: async (record) => {
      st.insert.run(record);
    },
    remove: async (projectId, key) => {
      st.remove.run(projectId, key);
    },
  };
}

const fromRow = (r: Record<string, unknown>): SubmissionKeyRecord => ({
  projectId: r.project_id as string,
  key: r.key as string,
  requestHash: r.request_hash as string,
  orchestrationId: r.orchestration_id as string,
  statusCode: r.status_code as number,
  createdAt: r.created_at as number,
});
