import type Database from 'better-sqlite3';
import type { AuditEntry, AuditRepo, ConsoleSessionRecord, ConsoleSessionRepo } from '../console-records.js';

type Row = Record<string, unknown>;

export function createAuditRepo(db: Database.Database): AuditRepo {
  const insert = db.prepare(
    `INSERT INTO audit_log (id, project_id, at, key_id, key_label, client, action, item_kind, item_id, reason, before_state, after_state)
     VALUES (@id, @projectId, @at, @keyId, @keyLabel, @client, @action, @itemKind, @itemId, @reason, @before, @after)`,
  );
  return {
    append: async (e) => {
      insert.run({ ...e, before: json(e.before), after: json(e.after) });
    },
    list: async (projectId, f) => {
      const where = ['project_id = ?'];
      const args: unknown[] = [projectId];
      const add = (sql: string, value: unknown) => {
        if (value === undefined) return;
        where.push(sql);
        args.push(value);
      };
      add('item_id = ?', f.itemId);
      add('action = ?', f.action);
      add('key_id = ?', f.keyId);
      add('client = ?', f.client);
      add('at >= ?', f.since);
      add('at < ?', f.until);
      add('seq < ?', f.beforeSeq);
      const rows = db.prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...args, f.limit) as Row[];
      return rows.map(auditFromRow);
    },
  };
}

export function createConsoleSessionRepo(db: Database.Database): ConsoleSessionRepo {
  const st = {
    insert: db.prepare(
      'INSERT INTO console_sessions (token_hash, key_hash, created_at, last_seen_at, expires_at) VALUES (@tokenHash, @keyHash, @createdAt, @lastSeenAt, @expiresAt)',
    ),
    get: db.prepare('SELECT * FROM console_sessions WHERE token_hash = ?'),
    touch: db.prepare('UPDATE console_sessions SET last_seen_at = ? WHERE token_hash = ?'),
    delete: db.prepare('DELETE FROM console_sessions WHERE token_hash = ?'),
    prune: db.prepare('DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at <= ?'),
    pruneLinks: db.prepare('DELETE FROM console_links WHERE expires_at <= ?'),
    insertLink: db.prepare('INSERT INTO console_links (token_hash, key_hash, expires_at) VALUES (@tokenHash, @keyHash, @expiresAt)'),
    takeLink: db.prepare('DELETE FROM console_links WHERE token_hash = ? RETURNING key_hash, expires_at'),
  };
  return {
    insert: async (s) => {
      st.insert.run(s);
    },
    get: async (hash) => {
      const r = st.get.get(hash) as Row | undefined;
      return r ? sessionFromRow(r) : undefined;
    },
    touch: async (hash, at) => {
      st.touch.run(at, hash);
    },
    delete: async (hash) => {
      st.delete.run(hash);
    },
    pruneExpired: async (now, idleCutoff) => {
      st.pruneLinks.run(now);
      return st.prune.run(now, idleCutoff).changes;
    },
    insertLink: async (link) => {
      st.insertLink.run(link);
    },
    takeLink: async (hash, now) => {
      const r = st.takeLink.get(hash) as Row | undefined;
      return r && (r.expires_at as number) > now ? (r.key_hash as string) : undefined;
    },
  };
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const parse = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : null);

const auditFromRow = (r: Row): AuditEntry & { seq: number } => ({
  seq: r.seq as number,
  id: r.id as string,
  projectId: r.project_id as string,
  at: r.at as number,
  keyId: r.key_id as string,
  keyLabel: (r.key_label as string | null) ?? null,
  client: r.client as AuditEntry['client'],
  action: r.action as string,
  itemKind: (r.item_kind as string | null) ?? null,
  itemId: (r.item_id as string | null) ?? null,
  reason: (r.reason as string | null) ?? null,
  before: parse(r.before_state),
  after: parse(r.after_state),
});

const sessionFromRow = (r: Row): ConsoleSessionRecord => ({
  tokenHash: r.token_hash as string,
  keyHash: r.key_hash as string,
  createdAt: r.created_at as number,
  lastSeenAt: r.last_seen_at as number,
  expiresAt: r.expires_at as number,
});
