import type { Migration } from './migration.js';

/**
 * Key roles and the operator audit trail. Existing keys keep doing what they did (`operate`); a `read` key
 * may look but not change anything. The audit log is append-only: one row per operator change, with the
 * item's state before and after as JSON.
 */
export const M0012_ROLES_AUDIT: Migration = {
  version: 12,
  name: 'roles-audit',
  sql: `
      ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'operate';
      ALTER TABLE api_keys ADD COLUMN label TEXT;
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        project_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        key_label TEXT,
        client TEXT NOT NULL,
        action TEXT NOT NULL,
        item_kind TEXT,
        item_id TEXT,
        reason TEXT,
        before_state TEXT,
        after_state TEXT
      );
      CREATE INDEX audit_log_project ON audit_log(project_id, seq);
      CREATE INDEX audit_log_item ON audit_log(project_id, item_id, seq);
  `,
};
