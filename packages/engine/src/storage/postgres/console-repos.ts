import type { AuditEntry, AuditRepo, ConsoleSessionRecord, ConsoleSessionRepo } from '../console-records.js';
import type { Queryable } from './queryable.js';

type Row = Record<string, unknown>;

export function createAuditRepo(q: Queryable): AuditRepo {
  return {
    append: async (e) => {
      await q.query(
        `INSERT INTO audit_log (id, project_id, at, key_id, key_label, client, action, item_kind, item_id, reason, before_state, after_state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [e.id, e.projectId, e.at, e.keyId, e.keyLabel, e.client, e.action, e.itemKind, e.itemId, e.reason, json(e.before), json(e.after)],
      );
    },
    list: async (projectId, f) => {
      const where = ['project_id = $1'];
      const args: unknown[] = [projectId];
      const add = (column: string, op: string, value: unknown) => {
        if (value === undefined) return;
        args.push(value);
        where.push(`${column} ${op} $${args.length}`);
      };
      add('item_id', '=', f.itemId);
      add('action', '=', f.action);
      add('key_id', '=', f.keyId);
      add('client', '=', f.client);
      add('at', '>=', f.since);
      add('at', '<', f.until);
      add('seq', '<', f.beforeSeq);
      args.push(f.limit);
      const { rows } = await q.query(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${args.length}`, args);
      return (rows as Row[]).map(auditFromRow);
    },
  };
}

export function createConsoleSessionRepo(q: Queryable): ConsoleSessionRepo {
  return {
    insert: async (s) => {
      await q.query('INSERT INTO console_sessions (token_hash, key_hash, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        s.tokenHash,
        s.keyHash,
        s.createdAt,
        s.lastSeenAt,
        s.expiresAt,
      ]);
    },
    get: async (hash) => {
      const { rows } = await q.query('SELECT * FROM console_sessions WHERE token_hash = $1', [hash]);
      const r = rows[0] as Row | undefined;
      return r ? sessionFromRow(r) : undefined;
    },
    touch: async (hash, at) => {
      await q.query('UPDATE console_sessions SET last_seen_at = $1 WHERE token_hash = $2', [at, hash]);
    },
    delete: async (hash) => {
      await q.query('DELETE FROM console_sessions WHERE token_hash = $1', [hash]);
    },
    pruneExpired: async (now, idleCutoff) => {
      await q.query('DELETE FROM console_links WHERE expires_at <= $1', [now]);
      const r = await q.query('DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $2', [now, idleCutoff]);
      return r.rowCount ?? 0;
    },
    insertLink: async (link) => {
      await q.query('INSERT INTO console_links (token_hash, key_hash, expires_at) VALUES ($1, $2, $3)', [link.tokenHash, link.keyHash, link.expiresAt]);
    },
    takeLink: async (hash, now) => {
      const { rows } = await q.query('DELETE FROM console_links WHERE token_hash = $1 RETURNING key_hash, expires_at', [hash]);
      const r = rows[0] as Row | undefined;
      return r && Number(r.expires_at) > now ? (r.key_hash as string) : undefined;
    },
  };
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

const auditFromRow = (r: Row): AuditEntry & { seq: number } => ({
  seq: Number(r.seq),
  id: r.id as string,
  projectId: r.project_id as string,
  at: Number(r.at),
  keyId: r.key_id as string,
  keyLabel: (r.key_label as string | null) ?? null,
  client: r.client as AuditEntry['client'],
  action: r.action as string,
  itemKind: (r.item_kind as string | null) ?? null,
  itemId: (r.item_id as string | null) ?? null,
  reason: (r.reason as string | null) ?? null,
  before: r.before_state ?? null,
  after: r.after_state ?? null,
});

const sessionFromRow = (r: Row): ConsoleSessionRecord => ({
  tokenHash: r.token_hash as string,
  keyHash: r.key_hash as string,
  createdAt: Number(r.created_at),
  lastSeenAt: Number(r.last_seen_at),
  expiresAt: Number(r.expires_at),
});
