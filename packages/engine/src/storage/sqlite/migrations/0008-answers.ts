import type { Migration } from './migration.js';

/**
 * Answers that no runner in memory waits for (late ones, or ones for unknown keys) are looked up by
 * their idempotency key: a task's or a compensation's. The PostgreSQL migration also tracks which
 * process sent a routed request (no duplicate sends after a takeover).
 */
export const M0008_ANSWERS: Migration = {
  version: 8,
  name: 'answers',
  sql: `
      CREATE INDEX tasks_idempotency_key ON tasks(idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX compensations_idempotency_key ON compensations(idempotency_key);
  `,
};
