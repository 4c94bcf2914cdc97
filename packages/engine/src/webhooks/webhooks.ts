import { compensationFailedPayload, orchestrationEventPayload } from '@orra/protocol';
import type { CompensationRunner } from '../compensation/compensation-runner.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import type { OrchestrationRunner } from '../orchestration/orchestration-runner.js';
import type { CompensationRecord, Store } from '../storage/store.js';
import { EndpointBreakers } from './endpoint-breakers.js';
import { OperatorEvents } from './operator-events.js';
import { SsrfPolicy } from './ssrf-policy.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookHistory } from './webhook-history.js';
import { WebhookOutbox, type Enqueued, type OutboxEvent } from './webhook-outbox.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhookService } from './webhook-service.js';
import type { Tracing } from '../tracing/tracing.js';

/** The webhook parts, built together: outbox (write side), dispatcher (sending), service and history (API). */
export class Webhooks {
  readonly outbox: WebhookOutbox;
  /** Operator events (endpoint disabled/enabled, delivery given up on, compensation resolved/ignored). */
  readonly operatorEvents: OperatorEvents;
  readonly service: WebhookService;
  readonly history: WebhookHistory;
  private readonly dispatcher: WebhookDispatcher;
  private readonly sender: WebhookSender;

  constructor(
    private readonly store: Store,
    config: Config,
    log: Logger,
    private readonly metrics: EngineMetrics,
    private readonly now: () => number,
    tracing: Tracing | undefined,
    /** A project's event log grew (after commit): wakes its feed readers in this process. */
    onEventsCommitted: (projectId: string) => void = () => {},
  ) {
    const policy = new SsrfPolicy(config.webhookDenyPrivate);
    this.sender = new WebhookSender({
      timeoutMs: config.webhookTimeoutMs,
      connectionsPerOrigin: config.webhookMaxConcurrencyPerEndpoint,
      policy,
      now,
    });
    this.outbox = new WebhookOutbox(
      now,
      config.webhookRetrySchedule[0] ?? 0,
      (ready) => (ready.length > 0 ? this.dispatcher.offer(ready) : this.dispatcher.wake()),
      (projectId, type) => {
        onEventsCommitted(projectId);
        metrics.eventCommitted(type);
      },
    );
    this.operatorEvents = new OperatorEvents(this.outbox);
    const breakers = new EndpointBreakers(
      {
        failuresToTrip: config.webhookBreakerFailures,
        probeScheduleMs: config.webhookProbeSchedule,
        disableAfterMs: config.webhookFailingDisableAfterMs,
        // A probe out longer than a request can take (its process died): claim it again.
        probeLeaseMs: config.webhookTimeoutMs + 30_000,
        maxPerEndpoint: config.webhookMaxConcurrencyPerEndpoint,
        defaultRetryAfterMs: 60_000,
      },
      this.operatorEvents,
    );
    this.dispatcher = new WebhookDispatcher(store, this.sender, metrics, log, {
      schedule: config.webhookRetrySchedule,
      maxPerEndpoint: config.webhookMaxConcurrencyPerEndpoint,
      maxInFlight: config.webhookMaxConcurrency,
      now,
      ...(tracing ? { tracing } : {}),
      operatorEvents: this.operatorEvents,
      breakers,
    });
    const wake = () => this.dispatcher.wake();
    this.service = new WebhookService(store, policy, this.sender, {
      secretOverlapMs: config.webhookSecretOverlapMs,
      now,
      wake,
      forget: (id) => this.dispatcher.forgetEndpoint(id),
      hold: (id) => this.dispatcher.hold(id),
      release: (id, window) => this.dispatcher.release(id, window),
      onTransition: (from, to) => metrics.webhookEndpointTransition(from, to),
      operatorEvents: this.operatorEvents,
    });
    this.history = new WebhookHistory(store);
  }

  /**
   * Produces the events: orchestration.* inside the finalising step's transaction, compensation.failed
   * inside the transaction that records the failure. Counters move after those commits.
   */
  attach(runner: OrchestrationRunner, compensations: CompensationRunner): void {
    runner.onFinalize((step) => {
      const r = step.live.record;
      if (r.status !== 'completed' && r.status !== 'failed' && r.status !== 'aborted') return;
      const status = r.status;
      const payload = orchestrationEventPayload({
        projectId: r.projectId,
        orchestrationId: r.id,
        status,
        finalizedAt: r.updatedAt,
        results: r.results,
        error: r.error,
        abortReason: r.abortReason,
      });
      let enqueued: Enqueued | undefined;
      step.addWrite(async (tx) => {
        enqueued = await this.outbox.enqueue(tx, {
          projectId: r.projectId,
          kind: 'orchestration',
          type: payload.type,
          eventId: payload.event_id,
          payload,
          subject: r.id,
          orchestrationId: r.id,
        });
      });
      step.afterCommit(() => {
        this.metrics.orchestrationFinished(status);
        this.outbox.wake(enqueued);
      });
    });
    // Failures of several compensations may commit concurrently: `write` and its `afterCommit` pair up
    // by compensation id. An entry lives only between a write and its commit (a transaction that fails is
    // run again, which overwrites it).
    const failureEnqueued = new Map<string, Enqueued | undefined>();
    compensations.onFailure({
      write: async (tx, record) => {
        failureEnqueued.set(record.id, await this.outbox.enqueue(tx, compensationFailedEvent(record)));
      },
      afterCommit: (record) => {
        this.metrics.compensationFailed();
        this.outbox.wake(failureEnqueued.get(record.id));
        failureEnqueued.delete(record.id);
      },
    });
    // An operator's retry that succeeds resolves the failure: `compensation.resolved`, like a resolve by hand.
    const resolvedEnqueued = new Map<string, Enqueued | undefined>();
    compensations.onResolvedByRetry({
      write: async (tx, record, keyId) => {
        const reason = record.resolution ?? 'compensation retried successfully';
        resolvedEnqueued.set(
          record.id,
          await this.operatorEvents.compensationDisposed(
            tx,
            record,
            'resolve',
            reason,
            keyId,
            record.resolvedAt ?? record.updatedAt,
          ),
        );
      },
      afterCommit: (record) => {
        this.operatorEvents.wake([resolvedEnqueued.get(record.id)]);
        resolvedEnqueued.delete(record.id);
      },
    });
    this.metrics.setPendingCompensationsSource(() => this.store.compensations.countPendingFailures());
    this.metrics.setPendingDeliveriesSource(() => this.store.webhookDeliveries.pendingSummary());
    this.metrics.setBreakerSummarySource(() => this.store.breakers.summary());
  }

  /**
   * At start-up: a probe that was out when an engine process died holds its endpoint until the lease ends
   * (the request's timeout + 30 s), so the lease is ended now and the endpoint probed again at once. On
   * PostgreSQL another live process may have a probe out at that moment: it is then sent twice, which
   * at-least-once delivery allows (same webhook-id), instead of every held event waiting for the lease.
   */
  async endProbeLeases(): Promise<number> {
    return this.store.breakers.expireProbeLeases(this.now());
  }

  /** Sends what is due, including deliveries left pending by a previous run (restart = resume). */
  start(): void {
    this.dispatcher.wake();
  }

  /** Stops sending (the dispatcher closes the sender); undelivered events stay in storage. */
  async stop(): Promise<void> {
    await this.dispatcher.stop();
  }
}

/** The `compensation.failed` event of a compensation that failed for good or expired. */
export function compensationFailedEvent(r: CompensationRecord): OutboxEvent {
  const payload = compensationFailedPayload({
    compensationId: r.id,
    projectId: r.projectId,
    orchestrationId: r.orchestrationId,
    taskId: r.taskId,
    serviceId: r.serviceId,
    serviceName: r.serviceName,
    status: r.status === 'expired' ? 'expired' : 'failed',
    failure: r.lastError ?? r.status,
    failedAt: r.failedAt ?? r.updatedAt,
    taskInput: r.taskInput,
    reason: r.context.reason,
    reasonAt: r.context.timestamp,
    payload: r.context.payload,
    data: r.data,
    ttlMs: r.ttlMs,
  });
  return {
    projectId: r.projectId,
    kind: 'compensation_failure',
    type: 'compensation.failed',
    eventId: payload.event_id,
    payload,
    subject: r.id,
    orchestrationId: r.orchestrationId,
  };
}
