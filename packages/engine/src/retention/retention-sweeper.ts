import { IDEMPOTENCY_KEY_TTL_MS } from '@orra/protocol';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../storage/store.js';

export interface RetentionOptions {
  /** Keep ended orchestrations and webhook events this long; 0 keeps them forever (keys still expire). */
  retentionMs: number;
  /** How often to look for what has expired. */
  intervalMs: number;
  now: () => number;
}

/** Items per transaction: small enough that a sweep never holds the database for long. */
const BATCH = 500;

/**
 * Deletes ended orchestrations (with tasks, journal, compensations) and webhook events (with deliveries
 * and attempts) older than the retention period, so storage does not grow without bound. Runs once
 * shortly after start and then every `intervalMs`, in batches of its own transactions; failed
 * compensations still pending and deliveries still pending are never deleted (see RetentionRepo).
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private isStopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly options: RetentionOptions,
  ) {}

  /**
   * Submission keys expire after 24 h whatever the retention period, so the sweeper runs even when
   * `retentionMs` is 0 (keep history forever): then it deletes only keys.
   */
  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
    void this.sweep();
  }

  /** One pass; resolves with what it deleted. A pass already running is joined, not doubled. */
  sweep(): Promise<void> {
    this.sweeping ??= this.pass()
      .catch((err: unknown) =>
        this.log.warn({ err }, 'retention sweep failed; trying again at the next interval'),
      )
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async pass(): Promise<void> {
    const now = this.options.now();
    const keyCutoff = now - IDEMPOTENCY_KEY_TTL_MS;
    let keys = 0;
    for (let n = BATCH; n === BATCH && !this.isStopped; keys += n) {
      n = await this.store.transaction((tx) => tx.retention.pruneSubmissionKeys(keyCutoff, BATCH));
    }
    if (keys > 0) this.log.info({ submissionKeys: keys }, 'deleted expired idempotency keys');
    if (this.options.retentionMs === 0) return;
    const cutoff = now - this.options.retentionMs;
    let orchestrations = 0;
    let events = 0;
    for (let n = BATCH; n === BATCH && !this.isStopped; orchestrations += n) {
      n = await this.store.transaction((tx) => tx.retention.pruneOrchestrations(cutoff, BATCH));
    }
    for (let n = BATCH; n === BATCH && !this.isStopped; events += n) {
      n = await this.store.transaction((tx) => tx.retention.pruneWebhookEvents(cutoff, BATCH));
    }
    if (orchestrations + events > 0)
      this.log.info({ orchestrations, webhookEvents: events }, 'deleted what outlived the retention period');
  }
}
