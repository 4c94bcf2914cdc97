import type { Migration } from './migration.js';

/**
 * The console at volume (bench/README.md, console): the overview lists a project's failed and aborted
 * orchestrations of the last 24 h, and the list filters by status. With only (project_id, created_at)
 * the database walked every orchestration of the period to keep those of one status; with the status in
 * the index it reads just them, in order. It costs one index entry per orchestration, moved on each
 * status change (two or three in its life).
 */
export const M0015_CONSOLE_INDEXES: Migration = {
  version: 15,
  name: 'console-indexes',
  sql: `
    CREATE INDEX orchestrations_project_status ON orchestrations(project_id, status, created_at DESC);
  `,
};
