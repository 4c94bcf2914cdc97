import type { Migration } from '../../sqlite/migrations/migration.js';

/** Key roles and the operator audit trail (see the SQLite migration of the same number). */
export const M0012_ROLES_AUDIT: Migration = {
  version: 12,
  name: 'roles-audit',
  sql: `
      ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'operate';
      ALTER TABLE api_keys ADD COLUMN label TEXT;
      CREATE TABLE audit_log (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        key_id TEXT NOT NULL,
        key_label TEXT,
        client TEXT NOT NULL,
        action TEXT NOT NULL,
        item_kind TEXT,
        item_id TEXT,
        reason TEXT,
        before_state JSONB,
        after_state JSONB
      );
      CREATE INDEX audit_log_project ON audit_log(project_id, seq);
      CREATE INDEX audit_log_item ON audit_log(project_id, item_id, seq);
  `,
};
