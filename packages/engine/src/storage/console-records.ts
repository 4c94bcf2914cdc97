import type { EpochMs } from './records.js';

/** What a key may do: `operate` changes things (every key made before roles existed), `read` only looks. */
export type KeyRole = 'operate' | 'read';

/** Where an operator change came from (the `X-Orra-Client` header; a console session is always `console`). */
export type AuditClient = 'console' | 'cli' | 'api';

/** One operator change: who, from where, what, on which item, why, the state before and after, when. */
export interface AuditEntry {
  id: string;
  projectId: string;
  at: EpochMs;
  /** The first 12 hex digits of the key's SHA-256 (never the key). */
  keyId: string;
  keyLabel: string | null;
  client: AuditClient;
  /** A stable name such as `compensation.resolve` or `webhook.delete`. */
  action: string;
  itemKind: string | null;
  itemId: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditFilter {
  itemId?: string;
  action?: string;
  keyId?: string;
  client?: AuditClient;
  since?: EpochMs;
  until?: EpochMs;
  /** Entries older than this cursor (the `seq` of the last entry of the previous page). */
  beforeSeq?: number;
  limit: number;
}

export interface AuditRepo {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(projectId: string, filter: AuditFilter): Promise<(AuditEntry & { seq: number })[]>;
}

/** A console sign-in; the token itself lives only in the browser's cookie. */
export interface ConsoleSessionRecord {
  tokenHash: string;
  keyHash: string;
  createdAt: EpochMs;
  lastSeenAt: EpochMs;
  /** The absolute end; the idle limit is checked against `lastSeenAt`. */
  expiresAt: EpochMs;
}

export interface ConsoleSessionRepo {
  insert(session: ConsoleSessionRecord): Promise<void>;
  get(tokenHash: string): Promise<ConsoleSessionRecord | undefined>;
  touch(tokenHash: string, lastSeenAt: EpochMs): Promise<void>;
  delete(tokenHash: string): Promise<void>;
  /** Deletes sessions whose absolute end or idle limit has passed; returns how many. */
  pruneExpired(now: EpochMs, idleCutoff: EpochMs): Promise<number>;
  insertLink(link: { tokenHash: string; keyHash: string; expiresAt: EpochMs }): Promise<void>;
  /** Deletes the link and returns its key hash when it existed and had not expired: a link works once. */
  takeLink(tokenHash: string, now: EpochMs): Promise<string | undefined>;
}
