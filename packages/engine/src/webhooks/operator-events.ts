import {
  compensationDisposedPayload,
  deliveryExhaustedPayload,
  endpointBreakerPayload,
  endpointStatePayload,
  lateResultPayload,
  serviceHealthPayload,
  type EndpointStateTrigger,
  type OperatorEvent,
} from '@orra/protocol';
import type { CompensationRecord, Repos, ServiceHealthEpisode, WebhookEndpointRecord } from '../storage/store.js';
import type { Enqueued, WebhookOutbox } from './webhook-outbox.js';

/**
 * Writes operator events into the log (and so to `operator` endpoints) inside the transaction of the state
 * change they report: one event per change, never one per attempt. Loop guard: nothing that happens to an
 * operator endpoint itself (its deliveries given up on, its 410) becomes an operator event; those are
 * logged and counted only, so a failing operator endpoint cannot feed itself events.
 */
export class OperatorEvents {
  constructor(private readonly outbox: WebhookOutbox) {}

  /** An endpoint was disabled (410 Gone, failing too long) or enabled (operator). */
  endpointState(tx: Repos, e: WebhookEndpointRecord, trigger: EndpointStateTrigger, at: number): Promise<Enqueued | undefined> {
    if (e.kind === 'operator' && trigger !== 'operator') return Promise.resolve(undefined);
    const payload = endpointStatePayload({ projectId: e.projectId, endpointId: e.id, endpointKind: e.kind, url: e.url, isEnabled: e.isEnabled, trigger, at });
    return this.write(tx, e.projectId, payload, e.id, null);
  }

  /** An endpoint's breaker tripped (`failing`) or a probe got through (`recovered`): once per outage each. */
  endpointBreaker(tx: Repos, e: WebhookEndpointRecord, state: 'failing' | 'recovered', failingSince: number, at: number): Promise<Enqueued | undefined> {
    if (e.kind === 'operator') return Promise.resolve(undefined);
    const payload = endpointBreakerPayload({ projectId: e.projectId, endpointId: e.id, endpointKind: e.kind, url: e.url, state, failingSince, at });
    return this.write(tx, e.projectId, payload, e.id, null);
  }

  /** A delivery used its whole retry schedule. */
  async deliveryExhausted(
    tx: Repos,
    d: { projectId: string; endpointId: string; eventId: string; eventType: string; attempts: number },
    last: { httpStatus: number | null; error: string | null },
    at: number,
  ): Promise<Enqueued | undefined> {
    const endpoint = await tx.webhookEndpoints.get(d.projectId, d.endpointId);
    if (!endpoint || endpoint.kind === 'operator') return undefined;
    const event = await tx.webhookDeliveries.getEvent(d.projectId, d.eventId);
    const payload = deliveryExhaustedPayload({
      projectId: d.projectId,
      endpointId: d.endpointId,
      url: endpoint.url,
      eventId: d.eventId,
      eventType: d.eventType,
      attempts: d.attempts,
      lastHttpStatus: last.httpStatus,
      lastError: last.error,
      at,
    });
    return this.write(tx, d.projectId, payload, d.eventId, event?.orchestrationId ?? null);
  }

  /** An operator resolved or ignored a failed compensation. */
  compensationDisposed(tx: Repos, r: CompensationRecord, action: 'resolve' | 'ignore', reason: string, byKey: string, at: number): Promise<Enqueued | undefined> {
    const payload = compensationDisposedPayload({ projectId: r.projectId, compensationId: r.id, orchestrationId: r.orchestrationId, action, reason, byKey, at });
    return this.write(tx, r.projectId, payload, r.id, r.orchestrationId);
  }

  /**
   * A service's result arrived after its orchestration failed or was aborted, and the engine cannot undo
   * it. One event per task: a re-sent late answer (its ACK was lost) finds the event there and adds none.
   */
  async lateResult(
    tx: Repos,
    o: { projectId: string; orchestrationId: string; status: string },
    task: { taskId: string; serviceId: string },
    reason: string,
    at: number,
  ): Promise<Enqueued | undefined> {
    const payload = lateResultPayload({ projectId: o.projectId, orchestrationId: o.orchestrationId, taskId: task.taskId, serviceId: task.serviceId, orchestrationStatus: o.status, reason, at });
    if (await tx.webhookDeliveries.getEvent(o.projectId, payload.event_id)) return undefined;
    return this.write(tx, o.projectId, payload, o.orchestrationId, o.orchestrationId);
  }

  /** A service's health episode was opened (`unhealthy`) or closed (`healthy`) by this transaction. */
  serviceHealth(tx: Repos, e: ServiceHealthEpisode, serviceName: string, state: 'unhealthy' | 'healthy', at: number): Promise<Enqueued | undefined> {
    const payload = serviceHealthPayload({
      projectId: e.projectId,
      serviceId: e.serviceId,
      serviceName,
      state,
      awaySince: e.awaySince,
      unhealthySince: e.unhealthySince,
      at,
    });
    return this.write(tx, e.projectId, payload, e.serviceId, null);
  }

  /** After the commit: sends what was written and wakes feed readers. */
  wake(enqueued: readonly (Enqueued | undefined)[]): void {
    for (const e of enqueued) if (e) this.outbox.wake(e);
  }

  private write(tx: Repos, projectId: string, payload: OperatorEvent, subject: string, orchestrationId: string | null): Promise<Enqueued | undefined> {
    return this.outbox.enqueue(tx, { projectId, kind: 'operator', type: payload.type, eventId: payload.event_id, payload, subject, orchestrationId });
  }
}
