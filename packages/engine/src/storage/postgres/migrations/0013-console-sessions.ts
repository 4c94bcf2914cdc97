import type { Migration } from '../../sqlite/migrations/migration.js';

/** Console sign-in: sessions and one-time links, stored hashed (see the SQLite migration of the same number). */
export const M0013_CONSOLE_SESSIONS: Migration = {
  version: 13,
  name: 'console-sessions',
  sql: `
      CREATE TABLE console_sessions (
        token_hash TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
      CREATE TABLE console_links (
        token_hash TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
  `,
};
