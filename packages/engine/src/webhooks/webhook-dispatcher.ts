import type { Logger } from '../logging/logger.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import type { AttemptOutcome, DueDelivery, Repos, Store } from '../storage/store.js';
import { nextRetryDelayMs } from './retry-schedule.js';
import type { AttemptResult, WebhookSender } from './webhook-sender.js';
import { webhookHeaders } from './webhook-headers.js';

export interface DispatcherOptions {
  /** Delay before each attempt (the first included). */
  schedule: readonly number[];
  maxPerEndpoint: number;
  maxInFlight: number;
  now: () => number;
  random?: () => number;
}

interface Finished {
  delivery: DueDelivery;
  result: AttemptResult;
  outcome: AttemptOutcome;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
/** After a storage error, look again this much later (the rows are still there). */
const ERROR_RETRY_MS = 1_000;

/**
 * Sends due deliveries from storage. No polling: it sleeps on one timer set to the earliest due
 * delivery, and wakes early when the outbox commits new events or an attempt frees a slot.
 *
 * Memory stays bounded: at most `maxInFlight` deliveries are held (their rows stay in storage until the
 * outcome commits), and at most `maxPerEndpoint` per endpoint, so a slow receiver cannot take every slot.
 * Outcomes of attempts that finish together are committed in one transaction. A crash between an
 * attempt and its commit resends it after the restart: delivery is at least once, with the same id.
 */
export class WebhookDispatcher {
  private readonly inFlight = new Map<number, AbortController>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly attempts = new Set<Promise<void>>();
  private finished: Finished[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private isPumping = false;
  private isPumpRequested = false;
  private isStopped = false;

  constructor(
    private readonly store: Store,
    private readonly sender: WebhookSender,
    private readonly metrics: EngineMetrics,
    private readonly log: Logger,
    private readonly options: DispatcherOptions,
  ) {}

  /** Looks for due deliveries now (after a commit that added some, or at start). */
  wake(): void {
    if (this.isStopped) return;
    void this.pump();
  }

  /** Stops sending. Attempts in flight are abandoned: their deliveries stay pending for the next start. */
  async stop(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    for (const controller of this.inFlight.values()) controller.abort();
    await Promise.all(this.attempts);
    await this.flushing;
    await this.flush();
  }

  private async pump(): Promise<void> {
    if (this.isPumping) {
      this.isPumpRequested = true;
      return;
    }
    this.isPumping = true;
    try {
      do {
        this.isPumpRequested = false;
        await this.fill();
      } while (this.isPumpRequested && !this.isStopped);
      if (!this.isStopped) await this.armTimer();
    } catch (err) {
      this.log.error({ err }, 'webhook dispatcher could not read due deliveries');
      this.setTimer(this.options.now() + ERROR_RETRY_MS);
    } finally {
      this.isPumping = false;
    }
    if (this.isPumpRequested && !this.isStopped) void this.pump();
  }

  /** Claims due deliveries up to the free capacity, skipping endpoints at their limit. */
  private async fill(): Promise<void> {
    const { maxInFlight, maxPerEndpoint } = this.options;
    for (;;) {
      const free = maxInFlight - this.inFlight.size;
      if (free <= 0 || this.isStopped) return;
      const due = await this.store.webhookDeliveries.listDue(this.options.now(), free, [...this.inFlight.keys()], this.saturated());
      for (const d of due) {
        if (this.inFlight.size >= maxInFlight || this.isStopped) return;
        if ((this.perEndpoint.get(d.endpointId) ?? 0) >= maxPerEndpoint || this.inFlight.has(d.seq)) continue;
        this.start(d);
      }
      // A short page means every due delivery was seen; a full one may hide more behind a busy endpoint.
      if (due.length < free) return;
    }
  }

  private saturated(): string[] {
    return [...this.perEndpoint].filter(([, n]) => n >= this.options.maxPerEndpoint).map(([id]) => id);
  }

  private async armTimer(): Promise<void> {
    const next = await this.store.webhookDeliveries.nextDueAt([...this.inFlight.keys()], this.saturated());
    // Due work that did not fit is picked up when a slot frees; only a free capacity needs the timer.
    if (next === undefined || this.inFlight.size >= this.options.maxInFlight) return void clearTimeout(this.timer);
    this.setTimer(next);
  }

  private setTimer(dueAt: number): void {
    clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, dueAt - this.options.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private start(d: DueDelivery): void {
    const controller = new AbortController();
    this.inFlight.set(d.seq, controller);
    this.perEndpoint.set(d.endpointId, (this.perEndpoint.get(d.endpointId) ?? 0) + 1);
    const attempt = this.attempt(d, controller.signal).catch((err: unknown) => {
      this.log.error({ err, eventId: d.eventId, endpointId: d.endpointId }, 'webhook attempt failed unexpectedly');
      this.release([d]);
    });
    this.attempts.add(attempt);
    void attempt.finally(() => this.attempts.delete(attempt));
  }

  private async attempt(d: DueDelivery, signal: AbortSignal): Promise<void> {
    const now = this.options.now();
    const headers = webhookHeaders(d, now);
    const result = await this.sender.send({ url: d.url, body: d.body, headers }, signal);
    if (this.isStopped && signal.aborted) return this.release([d]);
    const attempt = d.runAttempts + 1;
    const delay = result.isSuccess || result.isGone ? undefined : nextRetryDelayMs(this.options.schedule, attempt, result.retryAfterMs, this.options.random);
    const at = this.options.now();
    const outcome: AttemptOutcome = {
      attempt: {
        deliverySeq: d.seq,
        attempt: d.attempts + 1,
        startedAt: result.startedAt,
        durationMs: result.durationMs,
        httpStatus: result.httpStatus,
        responseBody: result.responseBody,
        error: result.isGone ? 'HTTP 410 Gone: the endpoint is now disabled' : result.error,
        isSuccess: result.isSuccess,
      },
      version: d.version,
      status: result.isSuccess ? 'succeeded' : delay === undefined ? 'failed' : 'pending',
      nextAttemptAt: delay === undefined ? null : at + delay,
      now: at,
    };
    this.log.debug({ eventId: d.eventId, endpointId: d.endpointId, attempt: outcome.attempt.attempt, status: result.httpStatus, error: result.error }, 'webhook attempt');
    this.metrics.webhookAttempt(result.kind, result.durationMs);
    this.finished.push({ delivery: d, result, outcome });
    this.scheduleFlush();
  }

  /** Commits the outcomes of every attempt that finished meanwhile, in one transaction. */
  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.finished;
    this.finished = [];
    try {
      if (batch.length === 0) return;
      await this.store.transaction(async (tx) => {
        await tx.webhookDeliveries.recordOutcomes(batch.map((f) => f.outcome));
        for (const f of batch) if (f.result.isGone) await this.disableGone(tx, f.delivery, f.outcome.now);
      });
      for (const { delivery: d, outcome } of batch) {
        if (outcome.status === 'succeeded') {
          // Latency only for the first success of an event, not for an operator's redelivery.
          this.metrics.webhookDelivered('succeeded', d.attempts === d.runAttempts ? outcome.now - d.eventCreatedAt : undefined);
        } else if (outcome.status === 'failed') {
          this.metrics.webhookDelivered('failed');
          this.log.warn({ eventId: d.eventId, endpointId: d.endpointId, error: outcome.attempt.error }, 'webhook delivery failed for good');
        }
      }
    } catch (err) {
      // Not recorded: the deliveries are still pending in storage and will be sent again.
      this.log.error({ err }, 'webhook attempt outcomes failed to commit');
    } finally {
      this.flushing = undefined;
      this.release(batch.map((f) => f.delivery));
      if (this.finished.length > 0) this.scheduleFlush();
    }
    this.wake();
  }

  /** `410 Gone`: the receiver wants no more. Disable the endpoint; its pending deliveries become `skipped`. */
  private async disableGone(tx: Repos, d: DueDelivery, now: number): Promise<void> {
    const endpoint = await tx.webhookEndpoints.get(d.projectId, d.endpointId);
    if (!endpoint || !endpoint.isEnabled) return;
    await tx.webhookEndpoints.update({ ...endpoint, isEnabled: false, disabledReason: 'the receiver answered 410 Gone', disabledAt: now, updatedAt: now });
    await tx.webhookDeliveries.endPending(d.endpointId, 'skipped', 'endpoint disabled (410 Gone); send with POST /webhooks/{id}/recover', now);
    this.log.warn({ endpointId: d.endpointId, eventId: d.eventId }, 'webhook endpoint disabled after 410 Gone');
  }

  private release(deliveries: DueDelivery[]): void {
    for (const d of deliveries) {
      if (!this.inFlight.delete(d.seq)) continue;
      const n = (this.perEndpoint.get(d.endpointId) ?? 1) - 1;
      if (n <= 0) this.perEndpoint.delete(d.endpointId);
      else this.perEndpoint.set(d.endpointId, n);
    }
  }
}
