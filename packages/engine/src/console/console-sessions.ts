import { createHash, randomBytes } from 'node:crypto';
import { ERROR_CODES } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { Caller, ProjectService } from '../projects/project-service.js';
import type { Store } from '../storage/store.js';

/** How long a one-time sign-in link works: long enough to click, too short to be worth stealing. */
export const LINK_TTL_MS = 60_000;
/** A session's last-seen time is written at most this often (not on every request of a busy page). */
const TOUCH_EVERY_MS = 60_000;
/** Sessions are pruned on sign-in at most this often. */
const PRUNE_EVERY_MS = 60_000;

export interface ConsoleSessionOptions {
  idleMs: number;
  maxMs: number;
  now: () => number;
}

/**
 * Console sign-in. A session is a random 32-byte token in an HttpOnly cookie; the store keeps only its
 * SHA-256 (a leaked row cannot be replayed) and the hash of the key it was opened with, so a session has
 * exactly that key's project and role. Sessions end after `idleMs` without a request or `maxMs` after
 * sign-in, whichever comes first.
 */
export class ConsoleSessions {
  private lastPruneAt = 0;

  constructor(
    private readonly store: Store,
    private readonly projects: ProjectService,
    private readonly options: ConsoleSessionOptions,
  ) {}

  /** Opens a session for a key; returns the cookie's token. Throws UNAUTHENTICATED for an unknown key. */
  async signIn(apiKey: unknown): Promise<{ token: string; caller: Caller }> {
    if (typeof apiKey !== 'string' || apiKey === '') {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'apiKey: send {"apiKey": "sk-orra-…"} or {"link": "…"}', { param: 'apiKey' });
    }
    const caller = await this.projects.authenticate(apiKey);
    return { token: await this.open(caller.keyHash), caller };
  }

  /** Opens a session from a one-time link token; the link is spent whether or not it had expired. */
  async signInWithLink(link: string): Promise<{ token: string; caller: Caller }> {
    const keyHash = await this.store.consoleSessions.takeLink(hash(link), this.options.now());
    const caller = keyHash ? await this.projects.callerForKeyHash(keyHash) : undefined;
    if (!caller) {
      throw new EngineError(ERROR_CODES.UNAUTHENTICATED, 'this sign-in link is unknown, expired (links last 60 s) or already used; run `orra console` for a new one');
    }
    return { token: await this.open(caller.keyHash), caller };
  }

  /** A one-time sign-in link token for the caller's key, valid for LINK_TTL_MS. */
  async createLink(caller: Caller): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.options.now() + LINK_TTL_MS;
    await this.store.consoleSessions.insertLink({ tokenHash: hash(token), keyHash: caller.keyHash, expiresAt });
    return { token, expiresAt };
  }

  /** The caller behind a session cookie, or undefined when the session is unknown or has ended. */
  async authenticate(token: string): Promise<Caller | undefined> {
    const tokenHash = hash(token);
    const session = await this.store.consoleSessions.get(tokenHash);
    if (!session) return undefined;
    const now = this.options.now();
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.options.idleMs) {
      await this.store.consoleSessions.delete(tokenHash);
      return undefined;
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await this.store.consoleSessions.touch(tokenHash, now);
    return this.projects.callerForKeyHash(session.keyHash);
  }

  async signOut(token: string): Promise<void> {
    await this.store.consoleSessions.delete(hash(token));
  }

  private async open(keyHash: string): Promise<string> {
    const now = this.options.now();
    if (now - this.lastPruneAt >= PRUNE_EVERY_MS) {
      this.lastPruneAt = now;
      await this.store.consoleSessions.pruneExpired(now, now - this.options.idleMs);
    }
    const token = randomBytes(32).toString('base64url');
    await this.store.consoleSessions.insert({ tokenHash: hash(token), keyHash, createdAt: now, lastSeenAt: now, expiresAt: now + this.options.maxMs });
    return token;
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
