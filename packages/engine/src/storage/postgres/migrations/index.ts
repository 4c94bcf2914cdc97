import { M0001_CORE } from './0001-core.js';
import { M0002_COMPENSATION } from './0002-compensation.js';
import { M0003_WEBHOOKS } from './0003-webhooks.js';
import { M0004_GROUNDINGS } from './0004-groundings.js';
import { M0005_CLUSTER } from './0005-cluster.js';
import { M0006_RETENTION } from './0006-retention.js';
import { M0007_FENCING } from './0007-fencing.js';
import { M0010_EVENT_LOG } from './0010-event-log.js';
import type { Migration } from '../../sqlite/migrations/migration.js';

/**
 * PostgreSQL migrations in order, applied together at start-up in one transaction (DDL is transactional
 * here). Same versions and names as SQLITE_MIGRATIONS; a parity test fails when the lists drift. A change
 * that only one dialect needs still takes a number in both (the other's may be a no-op `SELECT 1`).
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [M0001_CORE, M0002_COMPENSATION, M0003_WEBHOOKS, M0004_GROUNDINGS, M0005_CLUSTER, M0006_RETENTION, M0007_FENCING, M0010_EVENT_LOG];
