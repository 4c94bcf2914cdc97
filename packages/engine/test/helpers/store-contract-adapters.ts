import { POSTGRES, SQLITE, type StoreAdapter } from './store-adapters.js';
import { isPostgresReachable, isPostgresRun, TEST_DATABASE_URL } from './test-database.js';

/**
 * The adapters the storage contract runs against: SQLite always; PostgreSQL when its server answers.
 * A PostgreSQL run (`ORRA_TEST_DATABASE=postgres`) without a server is an error, not a skip.
 */
export async function contractAdapters(): Promise<{ adapters: StoreAdapter[]; isPostgresMissing: boolean }> {
  const isReachable = await isPostgresReachable();
  if (!isReachable && isPostgresRun)
    throw new Error(`ORRA_TEST_DATABASE=postgres but nothing answers at ${TEST_DATABASE_URL}`);
  return { adapters: isReachable ? [SQLITE, POSTGRES] : [SQLITE], isPostgresMissing: !isReachable };
}
