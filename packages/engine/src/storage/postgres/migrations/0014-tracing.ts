import type { Migration } from '../../sqlite/migrations/migration.js';

/**
 * Durable trace context (docs/tracing.md): the `orchestration.start` span's W3C context on the
 * orchestration (every later span of it hangs there, in whichever process continues it), the latest
 * attempt's on each task, and on each compensation the anchor plus the attempt it undoes (its span's link).
 * NULL when tracing was off.
 */
export const M0014_TRACING: Migration = {
  version: 14,
  name: 'tracing',
  sql: `
    ALTER TABLE orchestrations ADD COLUMN trace_context TEXT;
    ALTER TABLE tasks ADD COLUMN trace_context TEXT;
    ALTER TABLE compensations ADD COLUMN trace_context TEXT;
  `,
};
