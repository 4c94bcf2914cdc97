import type { Logger } from '../logging/logger.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import type { AttemptOutcome, DueDelivery, Repos, Store } from '../storage/store.js';
import { attemptOutcome } from './attempt-outcome.js';
import { verdictOf } from './breaker-policy.js';
import { DeliveryClaims } from './delivery-claims.js';
import type { OperatorEvents } from './operator-events.js';
import { webhookHeaders } from './webhook-headers.js';
import type { BreakerBatch, EndpointBreakers } from './endpoint-breakers.js';
import type { Enqueued } from './webhook-outbox.js';
import type { AttemptResult, WebhookSender } from './webhook-sender.js';
import { UNTRACED_WEBHOOK, type Tracing } from '../tracing/tracing.js';

export interface DispatcherOptions {
  /** Delay before each attempt (the first included). */
  schedule: readonly number[];
  maxPerEndpoint: number;
  maxInFlight: number;
  now: () => number;
  random?: () => number;
  tracing?: Tracing;
  /** Writes operator events (endpoint disabled, delivery given up on) in the outcome's transaction. */
  operatorEvents?: OperatorEvents;
  /**
   * Each endpoint's circuit breaker: applied in the outcomes' transaction, probes claimed through it.
   * Without one (a bare dispatcher in a unit-level test) every outcome is recorded as it is.
   */
  breakers?: EndpointBreakers;
}

interface Finished {
  delivery: DueDelivery;
  result: AttemptResult;
  outcome: AttemptOutcome;
  /** Sent as the probe of a failing endpoint. */
  isProbe: boolean;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * How long outcomes gather before they are committed together. Each commit blocks the event loop for its
 * page writes and fsync (about a millisecond under load here), so fewer, larger ones leave more time for
 * sending: 25 ms sent roughly 5–10 % more than 10 ms (bench/src/webhooks.ts). It is also the window of
 * attempts a crash can make us send again.
 */
const FLUSH_DELAY_MS = 25;
/** A batch this large commits at once. */
const FLUSH_BATCH = 512;
/** How many of an endpoint's slots one read of its due deliveries fills ahead (× maxPerEndpoint). */
const READ_AHEAD_SLOTS = 16;
/** After a storage error, look again this much later (the rows are still there). */
const ERROR_RETRY_MS = 1_000;

/**
 * Sends due deliveries from storage. No polling: it sleeps on one timer set to the earliest due
 * delivery, and wakes early when the outbox commits new events or a response frees a slot. Deliveries
 * the outbox has just committed are offered with all an attempt needs, and taken as they are when
 * nothing older waits for their endpoint: at a steady rate, a delivery is never read back from storage.
 *
 * Memory stays bounded: at most `maxInFlight` requests are out, at most `maxPerEndpoint` per endpoint
 * (so a slow receiver cannot take every slot), and at most 4 × `maxInFlight` deliveries are claimed
 * (queued, out, or awaiting the commit of their outcome). Outcomes are committed in batches — a commit
 * blocks the event loop for its fsync — and a delivery stays claimed until its outcome commits, so it is
 * never sent twice by this process. A crash before that commit resends it after the restart: delivery
 * is at least once, always with the same event id.
 */
export class WebhookDispatcher {
  private readonly claims = new DeliveryClaims();
  private readonly attempts = new Set<Promise<void>>();
  private finished: Finished[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private isPumpScheduled = false;
  /** Endpoints with a free slot and nothing queued, to read ahead for in the next tick. */
  private readonly refills = new Set<string>();
  /**
   * Endpoints whose due deliveries in storage are all claimed, as far as this process knows: a fresh
   * delivery offered for one of them overtakes nothing. Any sign of new due rows clears them.
   */
  private readonly caughtUp = new Set<string>();
  /** Counts wakes, so that a read which a wake overlapped does not count as caught up. */
  private wakes = 0;
  private isPumping = false;
  private isPumpRequested = false;
  private isStopped = false;
  /** Deliveries out as probes. */
  private readonly probes = new Set<number>();
  /**
   * Endpoints this process knows are not active (failing, probing, paused, disabled): nothing is offered to
   * them, and an empty read for them does not count as caught up. Bounded by the number of endpoints.
   */
  private readonly held = new Set<string>();
  /**
   * Endpoints whose last answer was a failure (network, timeout, 5xx, 408) not yet committed: nothing more
   * is started for them until the flush has applied it to the breaker, so a trip stops sending at once
   * instead of after the flush window. Requests already out are all that can follow a trip.
   */
  private readonly unsure = new Set<string>();
  /** Slow-start windows of recovering endpoints (requests allowed out at once). */
  private readonly windows = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly sender: WebhookSender,
    private readonly metrics: EngineMetrics,
    private readonly log: Logger,
    private readonly options: DispatcherOptions,
  ) {}

  /** Looks for due deliveries soon: storage may have new ones (a commit added some, start, the timer). */
  wake(): void {
    this.wakes += 1;
    this.caughtUp.clear();
    this.pumpSoon();
  }

  /**
   * Deliveries the outbox has just committed, ready to send. Each is queued as it is if its endpoint is
   * caught up and has room in its queue; otherwise it stays in storage for the next read.
   */
  offer(deliveries: readonly DueDelivery[]): void {
    const { maxInFlight, maxPerEndpoint } = this.options;
    let isAnyLeft = false;
    for (const d of deliveries) {
      if (this.isStopped || this.claims.has(d.seq) || this.held.has(d.endpointId)) continue;
      if (!this.caughtUp.has(d.endpointId) || this.claims.size >= 4 * maxInFlight || this.claims.queued(d.endpointId) >= READ_AHEAD_SLOTS * maxPerEndpoint) {
        this.caughtUp.delete(d.endpointId);
        isAnyLeft = true;
        continue;
      }
      this.claims.claim(d);
      this.claims.enqueue(d);
      this.sendQueued(d.endpointId);
    }
    if (isAnyLeft) this.pumpSoon();
  }

  /** Pumps soon, for what storage is known to hold (a freed slot, outcomes committed). */
  private pumpSoon(): void {
    if (this.isStopped || this.isPumpScheduled) return;
    // Coalesce: many wakes in one tick (a burst of commits or responses) make one pump.
    this.isPumpScheduled = true;
    setImmediate(() => {
      this.isPumpScheduled = false;
      if (!this.isStopped) void this.pump();
    });
  }

  /** The endpoint was deleted or disabled: deliveries read for it but not yet sent are not sent. */
  forgetEndpoint(endpointId: string): void {
    this.claims.dropQueue(endpointId);
    this.caughtUp.delete(endpointId);
  }

  /** The endpoint was paused or disabled: send nothing more to it from this process. */
  hold(endpointId: string): void {
    this.held.add(endpointId);
    this.forgetEndpoint(endpointId);
  }

  /** The endpoint was resumed or enabled: look for its due deliveries. */
  release(endpointId: string, window: number | null): void {
    this.held.delete(endpointId);
    this.setWindow(endpointId, window);
    this.wake();
  }

  /** Requests the endpoint may have out at once: its limit, or less while a recovery slow-starts. */
  private limitOf(endpointId: string): number {
    return Math.min(this.options.maxPerEndpoint, this.windows.get(endpointId) ?? Infinity);
  }

  private setWindow(endpointId: string, window: number | null): void {
    if (window === null) this.windows.delete(endpointId);
    else this.windows.set(endpointId, window);
  }

  /**
   * Stops sending. Requests out are abandoned (closing the sender aborts them): their deliveries stay
   * pending for the next start.
   */
  async stop(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    this.claims.dropQueues();
    await this.sender.close();
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
    } catch (err) {
      this.log.error({ err }, 'webhook dispatcher could not read due deliveries');
      this.setTimer(this.options.now() + ERROR_RETRY_MS);
    } finally {
      this.isPumping = false;
    }
    if (this.isPumpRequested && !this.isStopped) void this.pump();
  }

  /**
   * Sends what is queued, then reads due deliveries endpoint by endpoint (oldest due first) up to the
   * free capacity, reading ahead a little so the next free slot needs no query; then sets the timer for
   * the earliest later delivery. A busy endpoint is left out: a slot freeing up pumps again.
   */
  private async fill(): Promise<void> {
    const { maxInFlight, maxPerEndpoint, now } = this.options;
    for (const endpointId of this.claims.queuedEndpoints()) this.sendQueued(endpointId);
    // Endpoints at their limit are left out of the query (a slow-starting one at its window is not: it is read anyway).
    const endpoints = await this.store.webhookDeliveries.listDueEndpoints(this.claims.seqs(), this.claims.saturated(maxPerEndpoint));
    endpoints.sort((a, b) => a.dueAt - b.dueAt);
    const at = now();
    let nextDueAt: number | undefined;
    for (const { endpointId, dueAt, isProbe, window } of endpoints) {
      if (this.isStopped) return;
      if (isProbe) {
        this.hold(endpointId);
      } else {
        this.held.delete(endpointId);
        this.setWindow(endpointId, window);
      }
      if (dueAt > at) {
        nextDueAt = Math.min(nextDueAt ?? dueAt, dueAt);
        continue;
      }
      if (isProbe) {
        if (this.claims.sendingTo(endpointId) === 0 && this.claims.sending < maxInFlight) await this.probe(endpointId, at);
        continue;
      }
      if (Math.min(this.limitOf(endpointId) - this.claims.sendingTo(endpointId), maxInFlight - this.claims.sending) > 0) {
        await this.readAhead(endpointId, at);
      }
    }
    // Due work that did not fit is picked up when a slot frees; the timer is only for later work.
    if (nextDueAt === undefined) clearTimeout(this.timer);
    else this.setTimer(nextDueAt);
  }

  /**
   * Reads the endpoint's due deliveries into its queue — many slots' worth, so that most freed slots
   * are refilled from memory without a query — and starts what fits. The due query has a fixed cost
   * (skipping the endpoint's claimed rows, the exclusion list) that a larger read spreads thinner: 256 rows
   * a read cost 5.5 µs a row where 64 cost 8.4 (bench/README.md, Webhooks). Once half the claims are taken
   * (several busy endpoints), each reads only 4 slots ahead, so that a few endpoints' queues cannot hold the
   * claims that the others need. The claims' bound holds either way.
   */
  private async readAhead(endpointId: string, at: number): Promise<void> {
    const { maxInFlight, maxPerEndpoint } = this.options;
    const slots = this.claims.size < 2 * maxInFlight ? READ_AHEAD_SLOTS : 4;
    const limit = Math.min(slots * maxPerEndpoint, 4 * maxInFlight - this.claims.size);
    if (limit <= 0) return;
    const wakes = this.wakes;
    const due = await this.store.webhookDeliveries.listDue(endpointId, at, limit, this.claims.seqsOf(endpointId));
    // Fewer than asked for: everything due is now claimed (unless a wake came meanwhile, or the endpoint is
    // held, when the due query returns nothing whatever storage holds).
    if (due.length < limit && wakes === this.wakes && !this.held.has(endpointId)) this.caughtUp.add(endpointId);
    else this.caughtUp.delete(endpointId);
    for (const d of due) {
      if (this.claims.has(d.seq) || this.isStopped) continue;
      this.claims.claim(d);
      this.claims.enqueue(d);
    }
    this.sendQueued(endpointId);
  }

  /** A slot of the endpoint is free and nothing is queued for it: read ahead for it in the next tick. */
  private refill(endpointId: string): void {
    if (this.isStopped) return;
    if (this.refills.size === 0) {
      setImmediate(() => {
        const ids = [...this.refills];
        this.refills.clear();
        if (this.isStopped) return;
        const at = this.options.now();
        for (const id of ids) {
          this.readAhead(id, at).catch((err: unknown) => this.log.error({ err, endpointId: id }, 'webhook dispatcher could not read due deliveries'));
        }
      });
    }
    this.refills.add(endpointId);
  }

  /** Starts queued deliveries of the endpoint while it (and the process) has free slots. */
  private sendQueued(endpointId: string): void {
    if (this.unsure.has(endpointId)) return;
    while (
      !this.isStopped &&
      this.claims.sendingTo(endpointId) < this.limitOf(endpointId) &&
      this.claims.sending < this.options.maxInFlight
    ) {
      const d = this.claims.dequeue(endpointId);
      if (!d) return;
      this.start(d);
    }
  }

  private setTimer(dueAt: number): void {
    clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, dueAt - this.options.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  /** Sends the failing endpoint's oldest held delivery, if this process wins the probe. */
  private async probe(endpointId: string, at: number): Promise<void> {
    const breakers = this.options.breakers;
    if (!breakers) return;
    const d = await this.store.transaction((tx) => breakers.claimProbe(tx, endpointId, at, this.claims.seqs()));
    if (!d || this.isStopped || this.claims.has(d.seq)) return;
    this.log.info({ endpointId, eventId: d.eventId }, 'webhook endpoint probe');
    this.probes.add(d.seq);
    this.claims.claim(d);
    this.start(d);
  }

  private start(d: DueDelivery): void {
    this.claims.startSending(d);
    const attempt = this.attempt(d).catch((err: unknown) => {
      this.log.error({ err, eventId: d.eventId, endpointId: d.endpointId }, 'webhook attempt failed unexpectedly');
      this.claims.doneSending(d);
      this.claims.unclaim(d);
      this.probes.delete(d.seq);
      this.caughtUp.delete(d.endpointId); // it is due in storage again
    });
    this.attempts.add(attempt);
    void attempt.finally(() => this.attempts.delete(attempt));
  }

  private async attempt(d: DueDelivery): Promise<void> {
    // Untraced, nothing is awaited here: the request goes out in the same tick as before tracing existed.
    const trace = this.options.tracing?.isEnabled ? await this.options.tracing.webhookAttemptStarted(d) : UNTRACED_WEBHOOK;
    const headers = { ...webhookHeaders(d, this.options.now()), ...trace.headers };
    const result = await this.sender.send({ url: d.url, body: d.body, headers });
    trace.end(result);
    this.claims.doneSending(d);
    const isProbe = this.probes.delete(d.seq);
    // Cut off by stop(): not an answer from the receiver, so nothing to record.
    if (this.isStopped) return this.claims.unclaim(d);
    const outcome = attemptOutcome(d, result, this.options.schedule, this.options.now(), this.options.random);
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ ...trace.logFields, eventId: d.eventId, endpointId: d.endpointId, attempt: outcome.attempt.attempt, status: result.httpStatus, error: result.error }, 'webhook attempt');
    }
    this.metrics.webhookAttempt(result.kind, result.durationMs);
    if (verdictOf(result) === 'endpoint_failure') this.unsure.add(d.endpointId);
    if (result.isGone) this.hold(d.endpointId);
    this.finished.push({ delivery: d, result, outcome, isProbe });
    if (this.finished.length >= FLUSH_BATCH && !this.flushing) this.flushing = this.flush();
    else this.scheduleFlush();
    // The endpoint has a free slot again: use it at once for what is queued, else read ahead for it
    // (unless storage holds nothing unclaimed for it).
    this.sendQueued(d.endpointId);
    if (!this.claims.hasQueue(d.endpointId) && this.claims.sendingTo(d.endpointId) < this.limitOf(d.endpointId) && !this.caughtUp.has(d.endpointId) && !this.held.has(d.endpointId)) {
      this.refill(d.endpointId);
    }
    // A slot freed at the process limit may serve another endpoint's queue.
    if (this.claims.sending === this.options.maxInFlight - 1) this.pumpSoon();
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setTimeout(resolve, FLUSH_DELAY_MS)).then(() => this.flush());
  }

  /** Commits the outcomes that finished meanwhile in one transaction. */
  private async flush(): Promise<void> {
    const batch = this.finished;
    this.finished = [];
    try {
      if (batch.length === 0) return;
      const operatorEvents = this.options.operatorEvents;
      let enqueued: (Enqueued | undefined)[] = [];
      let applied: BreakerBatch | undefined;
      /** Endpoints this batch disabled after a 410. */
      let gone: string[] = [];
      await this.store.transaction(async (tx) => {
        // The batch's breaker changes, outcomes (held ones not moving their schedule) and operator events.
        const breakers = this.options.breakers;
        if (breakers) {
          applied = await breakers.applyBatch(tx, batch, this.options.now());
        } else {
          applied = { outcomes: batch.map((f) => f.outcome), breakers: new Map(), transitions: [], enqueued: [] };
          await tx.webhookDeliveries.recordOutcomes(applied.outcomes);
        }
        enqueued = [...applied.enqueued]; // the transaction may run again
        gone = [];
        for (const f of batch) {
          if (!f.result.isGone) continue;
          const disabled = await this.disableGone(tx, f.delivery, f.outcome.now);
          if (disabled) gone.push(f.delivery.endpointId);
          enqueued.push(disabled?.enqueued);
        }
        if (!operatorEvents) return;
        for (const [i, { delivery: d, result }] of batch.entries()) {
          const outcome = applied.outcomes[i]!;
          // After a 410 the endpoint's disabling is the event, not the delivery's end.
          if (outcome.status !== 'failed' || d.eventType === 'webhook.test' || result.isGone) continue;
          const last = { httpStatus: outcome.attempt.httpStatus, error: outcome.attempt.error };
          enqueued.push(await operatorEvents.deliveryExhausted(tx, { ...d, attempts: d.attempts + 1 }, last, outcome.now));
        }
      });
      operatorEvents?.wake(enqueued);
      if (applied) this.afterBreakers(applied);
      for (const id of gone) {
        this.hold(id);
        this.metrics.webhookEndpointTransition(applied?.breakers.get(id)?.state ?? 'active', 'disabled');
      }
      for (const [i, { delivery: d }] of batch.entries()) {
        const outcome = applied?.outcomes[i] ?? batch[i]!.outcome;
        if (outcome.status === 'pending') this.caughtUp.delete(d.endpointId); // a retry, maybe due at once
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
      for (const f of batch) this.caughtUp.delete(f.delivery.endpointId);
    } finally {
      this.flushing = undefined;
      for (const f of batch) this.claims.unclaim(f.delivery);
      for (const f of batch) {
        if (!this.unsure.delete(f.delivery.endpointId)) continue;
        this.sendQueued(f.delivery.endpointId);
        this.caughtUp.delete(f.delivery.endpointId);
      }
      if (this.finished.length > 0) this.scheduleFlush();
    }
    this.pumpSoon(); // retries now have their next due time
  }

  /** After the commit: follows the breakers' new states (hold, drain, slow start) and counts transitions. */
  private afterBreakers(applied: BreakerBatch): void {
    for (const [endpointId, b] of applied.breakers) {
      if (b.state === 'active') {
        this.held.delete(endpointId);
        this.setWindow(endpointId, b.slowStartWindow);
      } else {
        this.hold(endpointId);
      }
    }
    for (const t of applied.transitions) {
      this.metrics.webhookEndpointTransition(t.from, t.to);
      if (t.to === 'disabled') this.hold(t.endpointId);
      const level = t.transition === 'recovered' ? 'info' : 'warn';
      this.log[level]({ endpointId: t.endpointId, from: t.from, to: t.to }, 'webhook endpoint breaker changed state');
      if (t.transition === 'recovered') this.wake();
    }
  }

  /** `410 Gone`: the receiver wants no more. Disable the endpoint; its pending deliveries are held. */
  private async disableGone(tx: Repos, d: DueDelivery, now: number): Promise<{ enqueued: Enqueued | undefined } | undefined> {
    const endpoint = await tx.webhookEndpoints.get(d.projectId, d.endpointId);
    if (!endpoint || !endpoint.isEnabled) return undefined;
    const disabled = { ...endpoint, isEnabled: false, disabledReason: 'the receiver answered 410 Gone', disabledAt: now, updatedAt: now };
    await tx.webhookEndpoints.update(disabled);
    // Its pending deliveries are held (still pending), and sent if it is enabled again (docs/webhooks.md).
    this.log.warn({ endpointId: d.endpointId, eventId: d.eventId }, 'webhook endpoint disabled after 410 Gone');
    return { enqueued: await this.options.operatorEvents?.endpointState(tx, disabled, 'gone_410', now) };
  }
}

