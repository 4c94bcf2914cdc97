import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How a delivery attempt ended, as a label value. */
export type AttemptResultLabel = 'success' | 'http_error' | 'timeout' | 'network_error' | 'refused';

/**
 * The engine's Prometheus metrics, on a registry of its own (so several engines in one process, as in
 * tests, do not collide). Counters move after the state change they count has committed. The pending
 * failed-compensation gauge is read from storage at scrape time, so it is right after a restart.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private readonly completions: Counter;
  private readonly failures: Counter;
  private readonly aborts: Counter;
  private readonly compensationFailures: Counter;
  private readonly deliveries: Counter<'outcome'>;
  private readonly attempts: Counter<'result'>;
  private readonly attemptDuration: Histogram;
  private readonly deliveryLatency: Histogram;
  private readonly takeovers: Counter<'kind'>;
  private readonly routed: Counter<'direction'>;
  private readonly events: Counter<'type'>;
  private eventReaders: (() => number) | undefined;
  private pendingCompensations: (() => Promise<number>) | undefined;
  private pendingDeliveries: (() => Promise<{ count: number; oldestCreatedAt: number | null }>) | undefined;
  private readonly transitions: Counter<'from' | 'to'>;
  private breakerSummary: (() => Promise<{ state: string; endpoints: number; pending: number }[]>) | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.completions = new Counter({ name: 'orra_orchestration_completions_total', help: 'Orchestrations that completed.', registers });
    this.failures = new Counter({ name: 'orra_orchestration_failures_total', help: 'Orchestrations that failed.', registers });
    this.aborts = new Counter({ name: 'orra_orchestration_aborts_total', help: 'Orchestrations that were aborted.', registers });
    this.compensationFailures = new Counter({
      name: 'orra_compensation_failures_total',
      help: 'Compensations that failed for good or expired (each is a compensation.failed event).',
      registers,
    });
    // A function, not `this`: prom-client calls collect with the gauge as `this`.
    const readPending = () => this.pendingCompensations?.();
    new Gauge({
      name: 'orra_compensation_failures_pending',
      help: 'Failed compensations waiting for an operator (resolution pending), read from storage.',
      registers,
      async collect() {
        // A failed read leaves the last value rather than failing the whole scrape.
        const n = await readPending()?.catch(() => undefined);
        if (n !== undefined) this.set(n);
      },
    });
    // One query serves both gauges: a scrape collects all metrics at once, so the second gauge joins the
    // read the first started. Once it settles the next scrape reads anew (a cached answer could be stale).
    let reading: Promise<{ count: number; oldestCreatedAt: number | null } | undefined> | undefined;
    const readDeliveries = () =>
      (reading ??= (this.pendingDeliveries?.() ?? Promise.resolve(undefined))
        .catch(() => undefined)
        .finally(() => (reading = undefined)));
    this.events = new Counter({
      name: 'orra_events_total',
      help: 'Events committed to the event log (every type, operator events included), by type.',
      labelNames: ['type'],
      registers,
    });
    const readReaders = () => this.eventReaders?.();
    new Gauge({
      name: 'orra_event_readers',
      help: 'Event-feed long-polls waiting and event streams open in this process.',
      registers,
      collect() {
        const n = readReaders();
        if (n !== undefined) this.set(n);
      },
    });
    new Gauge({
      name: 'orra_webhook_deliveries_pending',
      help: 'Webhook deliveries still to be sent or retried (all projects, all endpoints), read from storage.',
      registers,
      async collect() {
        const summary = await readDeliveries();
        if (summary) this.set(summary.count);
      },
    });
    new Gauge({
      name: 'orra_webhook_oldest_pending_delivery_age_seconds',
      help: 'Age of the oldest webhook delivery still to be sent or retried (0 when none), read from storage.',
      registers,
      async collect() {
        const summary = await readDeliveries();
        if (summary) this.set(summary.oldestCreatedAt === null ? 0 : Math.max(0, (Date.now() - summary.oldestCreatedAt) / 1000));
      },
    });
    this.deliveries = new Counter({
      name: 'orra_webhook_deliveries_total',
      help: 'Webhook deliveries by final outcome (succeeded, failed after the last retry, skipped while disabled).',
      labelNames: ['outcome'],
      registers,
    });
    this.attempts = new Counter({
      name: 'orra_webhook_attempts_total',
      help: 'Webhook HTTP attempts by result.',
      labelNames: ['result'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'orra_webhook_attempt_duration_seconds',
      help: 'Duration of one webhook HTTP attempt.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'orra_webhook_delivery_latency_seconds',
      help: 'From the event (the committed state change) to its first successful delivery to an endpoint.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300, 1800, 7200, 36000, 86400],
      registers,
    });
    this.takeovers = new Counter({
      name: 'orra_cluster_takeovers_total',
      help: 'Work this process took over from engine processes that died or left (PostgreSQL, several processes).',
      labelNames: ['kind'],
      registers,
    });
    this.routed = new Counter({
      name: 'orra_cluster_routed_messages_total',
      help: 'Service messages that went through the database to or from another engine process.',
      labelNames: ['direction'],
      registers,
    });
    this.transitions = new Counter({
      name: 'orra_webhook_endpoint_transitions_total',
      help: 'Circuit-breaker state changes of webhook endpoints made by this process (from, to).',
      labelNames: ['from', 'to'],
      registers,
    });
    let summarising: Promise<{ state: string; endpoints: number; pending: number }[] | undefined> | undefined;
    const readBreakers = () =>
      (summarising ??= (this.breakerSummary?.() ?? Promise.resolve(undefined))
        .catch(() => undefined)
        .finally(() => (summarising = undefined)));
    const STATES = ['active', 'failing', 'probing', 'paused', 'disabled'];
    new Gauge({
      name: 'orra_webhook_endpoints',
      help: 'Webhook endpoints by circuit-breaker state (active, failing, probing, paused, disabled), read from storage.',
      labelNames: ['state'],
      registers,
      async collect() {
        const rows = await readBreakers();
        if (!rows) return;
        for (const state of STATES) this.set({ state }, rows.find((r) => r.state === state)?.endpoints ?? 0);
      },
    });
    new Gauge({
      name: 'orra_webhook_held_events',
      help: 'Deliveries held for endpoints that are not active (failing, probing, paused, disabled), by state, read from storage.',
      labelNames: ['state'],
      registers,
      async collect() {
        const rows = await readBreakers();
        if (!rows) return;
        for (const state of STATES.slice(1)) this.set({ state }, rows.find((r) => r.state === state)?.pending ?? 0);
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the pending failed-compensation gauge reads its value (a count query on storage). */
  setPendingCompensationsSource(source: () => Promise<number>): void {
    this.pendingCompensations = source;
  }

  /** Where the pending-delivery gauges read from (storage), at scrape time. */
  setPendingDeliveriesSource(source: () => Promise<{ count: number; oldestCreatedAt: number | null }>): void {
    this.pendingDeliveries = source;
  }

  /** Where the endpoint-state and held-events gauges read their values (one query per scrape). */
  setBreakerSummarySource(source: () => Promise<{ state: string; endpoints: number; pending: number }[]>): void {
    this.breakerSummary = source;
  }

  /** Call after a breaker transition committed. */
  webhookEndpointTransition(from: string, to: string): void {
    this.transitions.inc({ from, to });
  }

  /** Call after an event's transaction has committed. */
  eventCommitted(type: string): void {
    this.events.inc({ type });
  }

  /** Where the readers gauge reads its value (the event signal's subscriptions). */
  setEventReadersSource(source: () => number): void {
    this.eventReaders = source;
  }

  /** Call after the finalising step has committed. */
  orchestrationFinished(status: 'completed' | 'failed' | 'aborted'): void {
    (status === 'completed' ? this.completions : status === 'failed' ? this.failures : this.aborts).inc();
  }

  /** Call after a failed (or expired) compensation has committed. */
  compensationFailed(): void {
    this.compensationFailures.inc();
  }

  webhookAttempt(result: AttemptResultLabel, durationMs: number): void {
    this.attempts.inc({ result });
    this.attemptDuration.observe(durationMs / 1000);
  }

  webhookDelivered(outcome: 'succeeded' | 'failed' | 'skipped', latencyMs?: number): void {
    this.deliveries.inc({ outcome });
    if (outcome === 'succeeded' && latencyMs !== undefined) this.deliveryLatency.observe(Math.max(0, latencyMs) / 1000);
  }

  /** `kind`: orchestration, compensation or delivery. */
  clusterTookOver(kind: 'orchestration' | 'compensation' | 'delivery', n: number): void {
    if (n > 0) this.takeovers.inc({ kind }, n);
  }

  /** `to_service`: a task or compensation request for another process's socket; `to_owner`: a result for another process's orchestration. */
  clusterRouted(direction: 'to_service' | 'to_owner'): void {
    this.routed.inc({ direction });
  }

  /** The text exposition and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
