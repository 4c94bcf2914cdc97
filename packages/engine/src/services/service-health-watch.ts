import type { Logger } from '../logging/logger.js';
import type { ServiceHealthEpisode, Store } from '../storage/store.js';
import { TimerQueue } from '../timers/timer-queue.js';
import type { Enqueued } from '../webhooks/webhook-outbox.js';
import type { OperatorEvents } from '../webhooks/operator-events.js';

export interface ServiceHealthWatchOptions {
  /** How long a service with waiting tasks may stay away before `service.unhealthy` (ORRA_SERVICE_UNHEALTHY_AFTER_MS). */
  unhealthyAfterMs: number;
  /** Whether the service has a socket on any engine process. */
  isConnected(serviceId: string): boolean;
  /** Whether tasks of this process are waiting (paused) for the service. */
  isWaitingFor(serviceId: string): boolean;
  now?: () => number;
}

interface Away {
  projectId: string;
  /** When the first task began waiting for the service, as this process saw it. */
  since: number;
}

/**
 * Turns "tasks are waiting for a service that is away" into the operator events `service.unhealthy` (away
 * longer than `unhealthyAfterMs`) and `service.healthy` (back, after an unhealthy). Driven by the runner's
 * pauses and the cluster's connect notices, with one timer per away service: no polling.
 *
 * Exactly one event of each per episode, across engine processes: the `service_health` row is the claim.
 * Opening inserts it (insert-or-nothing) in the transaction that writes `service.unhealthy`; closing deletes
 * it in the transaction that writes `service.healthy`, and only the transaction that deleted it writes
 * one. Every process that hears a service connect tries to close, so the `healthy` comes even when the
 * process that declared the episode has gone. Per service, this process runs open and close one after the
 * other, so a connect that arrives while an open is committing closes the episode it opened.
 * Memory: one entry and one timer per away service with waiting tasks here; one pending chain per service.
 */
export class ServiceHealthWatch {
  private readonly away = new Map<string, Away>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly timers: TimerQueue;
  private readonly now: () => number;
  private isStopped = false;

  constructor(
    private readonly store: Store,
    private readonly operatorEvents: OperatorEvents,
    private readonly log: Logger,
    private readonly options: ServiceHealthWatchOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.timers = new TimerQueue(this.now);
  }

  /** A task of `projectId` began (or, after a restart or takeover, still is) waiting for the service since `since`. */
  taskWaiting(projectId: string, serviceId: string, since: number): void {
    if (this.isStopped) return;
    const entry = this.away.get(serviceId);
    if (entry && entry.since <= since) return;
    this.away.set(serviceId, { projectId, since });
    this.timers.set(serviceId, since + this.options.unhealthyAfterMs, () => this.declare(serviceId));
  }

  /** A socket of the service opened somewhere: the away clock stops, and an open episode closes. */
  serviceConnected(serviceId: string): void {
    this.timers.clear(serviceId);
    this.away.delete(serviceId);
    if (this.isStopped) return;
    this.serially(serviceId, () => this.close(serviceId));
  }

  stop(): Promise<void> {
    this.isStopped = true;
    this.timers.clearAll();
    this.away.clear();
    return Promise.all(this.chains.values()).then(() => undefined);
  }

  private declare(serviceId: string): void {
    const entry = this.away.get(serviceId);
    if (!entry || this.isStopped) return;
    // Waiting tasks may all have ended (failed past their grace period, aborted) without the service coming back.
    if (this.options.isConnected(serviceId) || !this.options.isWaitingFor(serviceId)) {
      this.away.delete(serviceId);
      return;
    }
    // The entry stays (the timer does not re-arm): a later pause of this service adds nothing until it connects.
    this.serially(serviceId, () => this.open(serviceId, entry));
  }

  private async open(serviceId: string, entry: Away): Promise<void> {
    const at = this.now();
    let written: Enqueued | undefined;
    await this.store.transaction(async (tx) => {
      written = undefined;
      const service = await tx.services.get(entry.projectId, serviceId);
      if (!service || this.options.isConnected(serviceId)) return;
      const episode: ServiceHealthEpisode = {
        serviceId,
        projectId: entry.projectId,
        awaySince: entry.since,
        unhealthySince: at,
      };
      if (!(await tx.serviceHealth.open(episode))) return; // another process (or an earlier run) declared it
      written = await this.operatorEvents.serviceHealth(tx, episode, service.name, 'unhealthy', at);
    });
    this.operatorEvents.wake([written]);
    if (written)
      this.log.warn(
        { serviceId, awaySince: entry.since },
        'service unhealthy: tasks are waiting for it and it stayed away',
      );
    // It connected while the transaction ran, and its connect notice may have come before the commit.
    if (this.options.isConnected(serviceId)) await this.close(serviceId);
  }

  private async close(serviceId: string): Promise<void> {
    // One cheap read per connect; the transaction runs only when an episode is open.
    if (!(await this.store.serviceHealth.isOpen(serviceId))) return;
    const at = this.now();
    let written: Enqueued | undefined;
    await this.store.transaction(async (tx) => {
      written = undefined;
      const episode = await tx.serviceHealth.close(serviceId);
      if (!episode) return; // another process closed it
      const service = await tx.services.get(episode.projectId, serviceId);
      written = await this.operatorEvents.serviceHealth(
        tx,
        episode,
        service?.name ?? serviceId,
        'healthy',
        at,
      );
    });
    this.operatorEvents.wake([written]);
    if (written) this.log.info({ serviceId }, 'service healthy again');
  }

  /** Runs `fn` after whatever this process is already doing for the service; failures are logged. */
  private serially(serviceId: string, fn: () => Promise<void>): void {
    const previous = this.chains.get(serviceId) ?? Promise.resolve();
    const next = previous
      .then(fn)
      .catch((err: unknown) => this.log.error({ err, serviceId }, 'could not record a service health event'));
    this.chains.set(serviceId, next);
    void next.then(() => {
      if (this.chains.get(serviceId) === next) this.chains.delete(serviceId);
    });
  }
}
