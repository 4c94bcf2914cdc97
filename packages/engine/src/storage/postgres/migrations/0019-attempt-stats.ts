import type { Migration } from '../../sqlite/migrations/migration.js';

/** The endpoints' attempt statistics: see the SQLite migration of the same number for the why. */
export const M0019_ATTEMPT_STATS: Migration = {
  version: 19,
  name: 'attempt-stats',
  sql: `
      CREATE INDEX webhook_attempts_started ON webhook_attempts(started_at);
  `,
};
