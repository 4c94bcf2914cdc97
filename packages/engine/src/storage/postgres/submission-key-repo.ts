import type { SubmissionKeyRecord, SubmissionKeyRepo } from '../submission-key-records.js';
import { first, type Queryable, type Row } from './queryable.js';

const COLUMNS = 'project_id, key, request_hash, orchestration_id, status_code, created_at';

const ST = {
  get: {
    name: 'orra_submission_key_get',
    text: `SELECT ${COLUMNS} FROM submission_keys WHERE project_id = $1 AND key = $2`,
  },
  insert: {
    name: 'orra_submission_key_insert',
    text: `INSERT INTO submission_keys (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`,
  },
  remove: {
    name: 'orra_submission_key_delete',
    text: 'DELETE FROM submission_keys WHERE project_id = $1 AND key = $2',
  },
};

export function createSubmissionKeyRepo(q: Queryable): SubmissionKeyRepo {
  return {
    get: async (projectId, key) => first(await q.query(ST.get, [projectId, key]), fromRow),
    insert: async (r) => {
      await q.exec(ST.insert, [
        r.projectId,
        r.key,
        r.requestHash,
        r.orchestrationId,
        r.statusCode,
        r.createdAt,
      ]);
    },
    remove: async (projectId, key) => {
      await q.query(ST.remove, [projectId, key]);
    },
  };
}

const fromRow = (r: Row): SubmissionKeyRecord => ({
  projectId: r.project_id as string,
  key: r.key as string,
  requestHash: r.request_hash as string,
  orchestrationId: r.orchestration_id as string,
  statusCode: r.status_code as number,
  createdAt: Number(r.created_at),
});
