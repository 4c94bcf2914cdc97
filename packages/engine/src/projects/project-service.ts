import { API_KEY_PREFIX, ERROR_CODES, newApiKey, newProjectId } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { ApiKeyRecord, KeyRole, ProjectRecord, Repos, Store } from '../storage/store.js';
import { hashApiKey } from './api-key-hash.js';

/** What an authenticated request knows about its caller. */
export interface Caller {
  projectId: string;
  /** Hash prefix of the key used, for audit entries (never the key itself). */
  keyId: string;
  /** The key's name for audit entries, when it has one. */
  keyLabel: string | null;
  /** `read` keys may only look: the HTTP layer answers their changes with 403. */
  role: KeyRole;
  /** SHA-256 of the key: a console session opened with it stores this, never the key. */
  keyHash: string;
}

const MAX_CACHED_KEYS = 10_000;

/** Projects and their API keys. */
export class ProjectService {
  /** Keys are never revoked yet, so a positive lookup can be cached; the map is bounded. */
  private readonly keyCache = new Map<string, Caller>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    /** How many keys the cache holds before it drops the oldest (a parameter so tests can reach it). */
    private readonly maxCachedKeys = MAX_CACHED_KEYS,
  ) {}

  /**
   * Creates a project and its primary key. The key is returned here and never again. `onCreate` joins
   * the transaction (the registration's webhook endpoints are created with the project or not at all).
   * Names are unique per engine, compared ignoring case (projectNameKey): the CLI and operators tell
   * projects apart by name, and two "shop"s on one engine would be told apart by nothing.
   */
  async register(
    input: { name: string; webhooks: string[]; compensationFailureWebhooks: string[] },
    onCreate?: (tx: Repos, project: ProjectRecord) => Promise<void>,
  ): Promise<{
    project: ProjectRecord;
    apiKey: string;
  }> {
    const project: ProjectRecord = {
      id: newProjectId(),
      name: input.name,
      createdAt: this.now(),
      webhooks: input.webhooks,
      compensationFailureWebhooks: input.compensationFailureWebhooks,
    };
    const apiKey = newApiKey();
    await this.store.transaction(async (tx) => {
      const existing = await tx.projects.findByName(project.name);
      if (existing) {
        throw new EngineError(
          ERROR_CODES.VALIDATION_FAILED,
          `name: a project named ${JSON.stringify(existing.name)} already exists on this engine (names are compared ignoring case); pick another name`,
          { param: 'name' },
        );
      }
      await tx.projects.insert(project);
      await tx.apiKeys.insert(keyRecord(project.id, apiKey, true, project.createdAt, { role: 'operate', label: 'primary' }));
      await onCreate?.(tx, project);
    });
    return { project, apiKey };
  }

  /** Adds another key to the caller's project. */
  async addApiKey(projectId: string, options: { role: KeyRole; label: string | null } = { role: 'operate', label: null }): Promise<string> {
    const apiKey = newApiKey();
    await this.store.apiKeys.insert(keyRecord(projectId, apiKey, false, this.now(), options));
    return apiKey;
  }

  /** Resolves a bearer key to its project, or throws UNAUTHENTICATED. */
  async authenticate(apiKey: string | undefined): Promise<Caller> {
    if (!apiKey) throw new EngineError(ERROR_CODES.UNAUTHENTICATED, 'missing API key: send "Authorization: Bearer sk-orra-…"');
    const hash = hashApiKey(apiKey);
    const cached = this.keyCache.get(hash);
    if (cached) return cached;
    const record = apiKey.startsWith(API_KEY_PREFIX) ? await this.store.apiKeys.findByHash(hash) : undefined;
    if (!record) throw new EngineError(ERROR_CODES.UNAUTHENTICATED, 'unknown API key');
    const caller = callerFor(record);
    if (this.keyCache.size >= this.maxCachedKeys) this.keyCache.delete(this.keyCache.keys().next().value as string);
    this.keyCache.set(hash, caller);
    return caller;
  }

  /** Resolves the hash of a key (a console session holds one) to its caller, or undefined. */
  async callerForKeyHash(hash: string): Promise<Caller | undefined> {
    const cached = this.keyCache.get(hash);
    if (cached) return cached;
    const record = await this.store.apiKeys.findByHash(hash);
    return record ? callerFor(record) : undefined;
  }
}

function callerFor(record: ApiKeyRecord): Caller {
  return { projectId: record.projectId, keyId: record.keyHash.slice(0, 12), keyLabel: record.label, role: record.role, keyHash: record.keyHash };
}

function keyRecord(
  projectId: string,
  apiKey: string,
  isPrimary: boolean,
  createdAt: number,
  options: { role: KeyRole; label: string | null },
): ApiKeyRecord {
  return { keyHash: hashApiKey(apiKey), projectId, prefix: apiKey.slice(0, API_KEY_PREFIX.length + 6), isPrimary, createdAt, ...options };
}
