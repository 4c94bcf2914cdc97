import type { Migration } from './migration.js';

/**
 * Fencing between engine processes exists only on PostgreSQL (one SQLite file serves one process); the
 * number is taken here too so the two lists stay in step.
 */
export const M0007_FENCING: Migration = {
  version: 7,
  name: 'fencing',
  sql: 'SELECT 1;',
};
