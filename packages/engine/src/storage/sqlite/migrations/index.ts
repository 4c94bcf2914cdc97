import { M0001_CORE } from './0001-core.js';
import { M0002_COMPENSATION } from './0002-compensation.js';
import { M0003_WEBHOOKS } from './0003-webhooks.js';
import { M0004_GROUNDINGS } from './0004-groundings.js';
import { M0005_CLUSTER } from './0005-cluster.js';
import { M0006_RETENTION } from './0006-retention.js';
import { M0007_FENCING } from './0007-fencing.js';
import { M0008_ANSWERS } from './0008-answers.js';
import { M0009_SUBMISSIONS } from './0009-submissions.js';
import { M0010_EVENT_LOG } from './0010-event-log.js';
import { M0012_ROLES_AUDIT } from './0012-roles-audit.js';
import { M0013_CONSOLE_SESSIONS } from './0013-console-sessions.js';
import { M0014_TRACING } from './0014-tracing.js';
import { M0015_CONSOLE_INDEXES } from './0015-console-indexes.js';
import { M0016_BREAKERS } from './0016-breakers.js';
import { M0017_SERVICE_HEALTH } from './0017-service-health.js';
import { M0018_EVENT_INDEXES } from './0018-event-indexes.js';
import { M0019_ATTEMPT_STATS } from './0019-attempt-stats.js';
import { M0020_ATTEMPT_HEADERS } from './0020-attempt-headers.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/**
 * SQLite migrations in order, applied at start-up, each in its own transaction. Numbers are reserved:
 * 2 = compensation, 3 = webhooks, 4 = planning (groundings), 5 = scale-out (PostgreSQL only), 6 = retention indexes, 7 = fencing (PostgreSQL only), 8 = answers (idempotency-key lookups; PostgreSQL: sent routed requests), 9 = submissions (idempotency keys, unique project names), 10 = event log (11 was given out and not used), 12 = key roles and audit, 13 = console sessions, 14 = tracing (trace context), 15 = console indexes, 16 = endpoint circuit breakers (15 on the breaker branch before main took it), 17 = service-health episodes, 18 = fewer event indexes, 19 = attempt statistics (the Webhooks screen), 20 = attempt request and response headers. The PostgreSQL list must stay in step.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [M0001_CORE, M0002_COMPENSATION, M0003_WEBHOOKS, M0004_GROUNDINGS, M0005_CLUSTER, M0006_RETENTION, M0007_FENCING, M0008_ANSWERS, M0009_SUBMISSIONS, M0010_EVENT_LOG, M0012_ROLES_AUDIT, M0013_CONSOLE_SESSIONS, M0014_TRACING, M0015_CONSOLE_INDEXES, M0016_BREAKERS, M0017_SERVICE_HEALTH, M0018_EVENT_INDEXES, M0019_ATTEMPT_STATS, M0020_ATTEMPT_HEADERS];
