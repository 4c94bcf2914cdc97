import type { Migration } from '../../sqlite/migrations/migration.js';

/** The attempts' request and response headers: see the SQLite migration of the same number for the why. */
export const M0020_ATTEMPT_HEADERS: Migration = {
  version: 20,
  name: 'attempt-headers',
  sql: `
      ALTER TABLE webhook_attempts ADD COLUMN request_headers TEXT, ADD COLUMN response_headers TEXT;
  `,
};
