import type { Migration } from './migration.js';

/**
 * Console sign-in. Sessions and one-time links are stored as SHA-256 hashes of their tokens (a leaked
 * database row cannot be replayed as a cookie). A session holds the hash of the key it was opened with,
 * so it has that key's project and role.
 */
export const M0013_CONSOLE_SESSIONS: Migration = {
  version: 13,
  name: 'console-sessions',
  sql: `
      CREATE TABLE console_sessions (
        token_hash TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);
      CREATE TABLE console_links (
        token_hash TEXT PRIMARY KEY,
        key_hash TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
  `,
};
