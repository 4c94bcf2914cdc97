import type { Migration } from './migration.js';

/**
 * Scale-out tables exist only on PostgreSQL (one SQLite file serves one process); the number is taken
 * here too so the two lists stay in step.
 */
export const M0005_CLUSTER: Migration = {
  version: 5,
  name: 'cluster',
  sql: 'SELECT 1;',
};
