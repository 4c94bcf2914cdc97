/**
 * The SDK's exactly-once cache, keyed by the engine's `idempotencyKey` (stable across re-sends of the
 * same task or compensation). It lets a re-sent request be answered without running the handler again.
 */

/** What the cache knows about a key. */
export type CacheEntry =
  | { state: 'in_progress'; at: number }
  | { state: 'completed'; at: number; result: unknown }
  | { state: 'aborted'; at: number };

/** Cache limits and clock; all optional. */
export interface IdempotencyCacheOptions {
  /** How long a successful result is kept (default 24 h, as orra). */
  completedTtlMs?: number;
  /** How long a running key blocks re-runs (default 30 min, as orra): a hung handler must not block forever. */
  inProgressTtlMs?: number;
  /** Most entries kept; the oldest finished ones are evicted first (default 10,000). */
  maxEntries?: number;
  /** How often expired entries are swept (default 10 min). */
  cleanupIntervalMs?: number;
  now?: () => number;
}

const HOUR_MS = 3_600_000;

/** In-memory idempotency cache with TTLs, a size bound and an unref'd cleanup timer. */
export class IdempotencyCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly completedTtlMs: number;
  private readonly inProgressTtlMs: number;
  private readonly maxEntries: number;
  private readonly cleanupIntervalMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: IdempotencyCacheOptions = {}) {
    this.completedTtlMs = options.completedTtlMs ?? 24 * HOUR_MS;
    this.inProgressTtlMs = options.inProgressTtlMs ?? HOUR_MS / 2;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.cleanupIntervalMs = options.cleanupIntervalMs ?? HOUR_MS / 6;
    this.now = options.now ?? Date.now;
  }

  /** Number of entries held (expired ones included until the next sweep). */
  get size(): number {
    return this.entries.size;
  }

  /** The live entry for `key`, or undefined when unknown or expired. */
  get(key: string): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.isExpired(entry, this.now())) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Marks `key` as running. */
  begin(key: string): void {
    this.set(key, { state: 'in_progress', at: this.now() });
  }

  /** Stores the successful result of `key`. */
  complete(key: string, result: unknown): void {
    this.set(key, { state: 'completed', at: this.now(), result });
  }

  /** Marks `key` as aborted: later requests for it are ignored. */
  abort(key: string): void {
    this.set(key, { state: 'aborted', at: this.now() });
  }

  /** Forgets `key` after a failure, so a retry runs the handler again (failures are not cached). */
  fail(key: string): void {
    this.entries.delete(key);
  }

  /** Removes expired entries. */
  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (this.isExpired(entry, now)) this.entries.delete(key);
  }

  /** Starts periodic sweeping; the timer never keeps the process alive. */
  startCleanup(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), this.cleanupIntervalMs);
    this.timer.unref();
  }

  /** Stops periodic sweeping. */
  stopCleanup(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private isExpired(entry: CacheEntry, now: number): boolean {
    const ttl = entry.state === 'in_progress' ? this.inProgressTtlMs : this.completedTtlMs;
    return now - entry.at > ttl;
  }

  private set(key: string, entry: CacheEntry): void {
    // Delete first so Map order stays "oldest update first", which eviction relies on.
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.evict();
  }

  /**
   * Drops the oldest finished entries. Running keys are never evicted: forgetting one would let a
   * duplicate request run the handler twice. Their number is bounded by the handlers actually running.
   */
  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) return;
      if (entry.state !== 'in_progress') this.entries.delete(key);
    }
  }
}
