import type { Migration } from './migration.js';

/**
 * The Webhooks screen's last status and 24 h success rate per endpoint (GET /webhooks/stats): one grouped
 * query over the attempts of the last 24 h. Without an index on the attempt's start it read every attempt
 * ever kept. Attempts are only ever inserted, in time order, so the entry is appended at the index's end.
 */
export const M0019_ATTEMPT_STATS: Migration = {
  version: 19,
  name: 'attempt-stats',
  sql: `
      CREATE INDEX webhook_attempts_started ON webhook_attempts(started_at);
  `,
};
