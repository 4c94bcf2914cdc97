import { existsSync } from 'node:fs';
import { dropOrphanSchemas, isPostgresRun } from './test-database.js';

/**
 * Vitest global set-up. On a PostgreSQL run, the teardown drops the schemas of engines whose data dir the
 * tests deleted (EngineProcess tests remove only the dir); schemas of data dirs still present are left.
 */
export function teardown(): Promise<number> | undefined {
  return isPostgresRun ? dropOrphanSchemas(existsSync) : undefined;
}
