import { sqlitePath, type Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens the storage adapter the database URL names (config has already checked it is one of these). */
export async function createStore(
  config: Pick<Config, 'databaseUrl' | 'databaseSchema'>,
  log?: Logger,
  nodeId?: string,
): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    return PostgresStore.open({ url: config.databaseUrl, schema: config.databaseSchema, log, nodeId });
  }
  // The engine's own store: exclusive, so a second engine on the same file refuses to start.
  return new SqliteStore(sqlitePath(config.databaseUrl), { exclusive: true });
}
