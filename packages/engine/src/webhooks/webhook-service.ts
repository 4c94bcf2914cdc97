import { ERROR_CODES, rfc3339Seconds, shortId, type WebhookEndpointKind, type WebhookTestEvent } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import { activeBreaker } from '../storage/breaker-records.js';
import type { BreakerRecord, BreakerState, Repos, Store, WebhookEndpointRecord } from '../storage/store.js';
import type { OperatorEvents } from './operator-events.js';
import type { SsrfPolicy } from './ssrf-policy.js';
import type { Enqueued } from './webhook-outbox.js';
import { webhookHeaders } from './webhook-headers.js';
import type { AttemptResult, WebhookSender } from './webhook-sender.js';
import { newWebhookSecret } from './webhook-signer.js';
import { validateWebhookUrl } from './webhook-url.js';

export interface WebhookServiceOptions {
  secretOverlapMs: number;
  now: () => number;
  /** Wakes the dispatcher after deliveries were queued again. */
  wake: () => void;
  /** Tells the dispatcher an endpoint is gone, so deliveries it has read ahead are not sent. */
  forget: (endpointId: string) => void;
  /** Writes `webhook.endpoint.enabled` when an endpoint is enabled. */
  operatorEvents?: OperatorEvents;
  /** Tells the dispatcher to send nothing more to the endpoint (paused). */
  hold: (endpointId: string) => void;
  /** Tells the dispatcher the endpoint may be sent to again (resumed, enabled), with its slow-start window. */
  release: (endpointId: string, window: number | null) => void;
  /** Counts a breaker state change an operator made (the transitions metric). */
  onTransition?: (from: string, to: string) => void;
}

/** An endpoint with its breaker, as `GET /webhooks` shows it. */
export interface EndpointWithBreaker {
  endpoint: WebhookEndpointRecord;
  /** active, failing, probing, paused or disabled, and since when. */
  state: BreakerState | 'disabled';
  stateSince: number;
  /** Deliveries waiting for the endpoint to be active again (0 while it is active). */
  heldEvents: number;
  nextProbeAt: number | null;
  throttledUntil: number | null;
}

/** A new endpoint's id: `wh_` + 22 base57 characters. */
export const newWebhookEndpointId = (): string => `wh_${shortId()}`;

/** Endpoint management and the operator's redelivery tools. Every call is scoped to the caller's project. */
export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly policy: SsrfPolicy,
    private readonly sender: WebhookSender,
    private readonly options: WebhookServiceOptions,
  ) {}

  /** Adds an endpoint; the same URL twice for one kind is a conflict. */
  async add(projectId: string, kind: WebhookEndpointKind, url: unknown): Promise<WebhookEndpointRecord> {
    const checked = await validateWebhookUrl(url, 'url', this.policy);
    return this.store.transaction(async (tx) => {
      const existing = await tx.webhookEndpoints.findByUrl(projectId, kind, checked);
      if (existing) {
        throw new EngineError(ERROR_CODES.CONFLICT, `url: ${checked} is already one of this project's ${kindName(kind)} webhooks (${existing.id})`, { param: 'url' });
      }
      const endpoint = this.newEndpoint(projectId, kind, checked);
      await tx.webhookEndpoints.insert(endpoint);
      return endpoint;
    });
  }

  /** Validates the URL lists of a project registration (orra's `webhooks`, `compensationFailureWebhooks`). */
  async validateRegistration(lists: { webhooks: string[]; compensationFailureWebhooks: string[] }) {
    const check = async (urls: string[], param: string) => {
      const out: string[] = [];
      for (const [i, url] of urls.entries()) out.push(await validateWebhookUrl(url, `${param}[${i}]`, this.policy));
      return [...new Set(out)];
    };
    return {
      webhooks: await check(lists.webhooks, 'webhooks'),
      compensationFailureWebhooks: await check(lists.compensationFailureWebhooks, 'compensationFailureWebhooks'),
    };
  }

  /** Creates the endpoints of a registration inside its transaction (URLs validated beforehand). */
  async addFromRegistration(tx: Repos, projectId: string, lists: { webhooks: string[]; compensationFailureWebhooks: string[] }) {
    for (const url of lists.webhooks) await tx.webhookEndpoints.insert(this.newEndpoint(projectId, 'orchestration', url));
    for (const url of lists.compensationFailureWebhooks) {
      await tx.webhookEndpoints.insert(this.newEndpoint(projectId, 'compensation_failure', url));
    }
  }

  list(projectId: string, kind?: WebhookEndpointKind): Promise<WebhookEndpointRecord[]> {
    return this.store.webhookEndpoints.list(projectId, kind);
  }

  async get(projectId: string, id: string): Promise<WebhookEndpointRecord> {
    return notFoundUnless(await this.store.webhookEndpoints.get(projectId, id), id);
  }

  /** Deletes an endpoint: nothing more is sent to it; its pending deliveries end `failed`. History stays. */
  async delete(projectId: string, id: string): Promise<void> {
    await this.store.transaction(async (tx) => {
      const endpoint = notFoundUnless(await tx.webhookEndpoints.get(projectId, id), id);
      const now = this.options.now();
      await tx.webhookEndpoints.update({ ...endpoint, deletedAt: now, updatedAt: now });
      await tx.webhookDeliveries.endPending(id, 'failed', 'endpoint deleted', now);
    });
    this.options.forget(id);
  }

  /**
   * Re-enables a disabled endpoint. The events held while it was disabled (still pending) are sent now,
   * in order and with slow start, unless `discardHeld`: then they end `skipped` (`recover` can still send
   * them). Events skipped before (the endpoint was disabled when they arose) are sent by `recover`.
   */
  async enable(projectId: string, id: string, discardHeld: unknown = false): Promise<WebhookEndpointRecord> {
    if (typeof discardHeld !== 'boolean') {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'discard_held: must be true or false', { param: 'discard_held' });
    }
    let enqueued: Enqueued | undefined;
    let wasDisabled = false;
    const endpoint = await this.store.transaction(async (tx) => {
      const e = notFoundUnless(await tx.webhookEndpoints.get(projectId, id), id);
      wasDisabled = false; // the transaction may run again
      if (e.isEnabled) return e; // no change, no event
      wasDisabled = true;
      const now = this.options.now();
      const updated = { ...e, isEnabled: true, disabledReason: null, disabledAt: null, updatedAt: now };
      await tx.webhookEndpoints.update(updated);
      // A fresh start: the breaker forgets the outage that disabled it.
      await tx.breakers.put({ ...activeBreaker(id, projectId, now), slowStartWindow: 1 }, true);
      if (discardHeld) await tx.webhookDeliveries.endPending(id, 'skipped', 'held while the endpoint was disabled; discarded on enable', now);
      else await tx.breakers.makeDue(id, now);
      enqueued = await this.options.operatorEvents?.endpointState(tx, updated, 'operator', now);
      return updated;
    });
    this.options.operatorEvents?.wake([enqueued]);
    if (wasDisabled) this.options.onTransition?.('disabled', 'active');
    if (endpoint.isEnabled) this.options.release(id, 1);
    return endpoint;
  }

  /**
   * Disables an endpoint by hand, as the engine does after a 410 or a long outage: nothing more is sent to
   * it; deliveries already pending are held (sent on enable, or discarded then) and events that arise while
   * it is disabled are skipped (`recover` sends them). Writes `webhook.endpoint.disabled` (trigger
   * `operator`). Disabling a disabled endpoint changes nothing and writes no event.
   */
  async disable(projectId: string, id: string): Promise<WebhookEndpointRecord> {
    let from: string | undefined;
    let enqueued: Enqueued | undefined;
    const endpoint = await this.store.transaction(async (tx) => {
      from = undefined; // the transaction may run again
      enqueued = undefined;
      const e = notFoundUnless(await tx.webhookEndpoints.get(projectId, id), id);
      if (!e.isEnabled) return e;
      const now = this.options.now();
      from = (await tx.breakers.get(id))?.state ?? 'active';
      const updated = { ...e, isEnabled: false, disabledReason: 'disabled by an operator; held events are sent when it is enabled', disabledAt: now, updatedAt: now };
      await tx.webhookEndpoints.update(updated);
      enqueued = await this.options.operatorEvents?.endpointState(tx, updated, 'operator', now);
      return updated;
    });
    this.options.operatorEvents?.wake([enqueued]);
    if (from) {
      this.options.onTransition?.(from, 'disabled');
      this.options.hold(id);
    }
    return endpoint;
  }

  /**
   * Pauses an endpoint: nothing is sent to it and nothing is probed; its events are held (no attempt count
   * moves) until `resume`. Pausing a paused endpoint changes nothing; a disabled one must be enabled.
   */
  async pause(projectId: string, id: string): Promise<EndpointWithBreaker> {
    let from: string | undefined;
    await this.store.transaction(async (tx) => {
      from = undefined; // the transaction may run again
      const e = notFoundUnless(await tx.webhookEndpoints.get(projectId, id), id);
      if (!e.isEnabled) throw new EngineError(ERROR_CODES.CONFLICT, `webhook ${id} is disabled; enable it first (POST /webhooks/${id}/enable)`);
      const now = this.options.now();
      const b = (await tx.breakers.get(id)) ?? activeBreaker(id, projectId, now);
      if (b.state === 'paused') return;
      await tx.breakers.put({ ...b, state: 'paused', stateSince: now, nextProbeAt: null, updatedAt: now }, true);
      from = b.state;
    });
    if (from) this.options.onTransition?.(from, 'paused');
    this.options.hold(id);
    return (await this.withBreakers(projectId, [await this.get(projectId, id)]))[0]!;
  }

  /**
   * Resumes a paused endpoint: held events are sent again, slow-starting. One that was failing when it was
   * paused goes back to failing and is probed at once, so an outage is never sent a flood.
   */
  async resume(projectId: string, id: string): Promise<EndpointWithBreaker> {
    let window: number | null = null;
    let isResumed = false;
    let to: string | undefined;
    await this.store.transaction(async (tx) => {
      notFoundUnless(await tx.webhookEndpoints.get(projectId, id), id);
      const b = await tx.breakers.get(id);
      if (b?.state !== 'paused') return;
      const now = this.options.now();
      const next: BreakerRecord =
        b.failingSince !== null
          ? { ...b, state: 'failing', stateSince: now, nextProbeAt: now, updatedAt: now }
          : { ...b, state: 'active', stateSince: now, consecutiveFailures: 0, firstFailedEventId: null, isSpanningEvents: false, slowStartWindow: 1, updatedAt: now };
      await tx.breakers.put(next, true);
      window = next.state === 'active' ? 1 : null;
      isResumed = next.state === 'active';
      to = next.state;
    });
    if (to) this.options.onTransition?.('paused', to);
    if (isResumed) this.options.release(id, window);
    else this.options.wake(); // a probe is due now
    return (await this.withBreakers(projectId, [await this.get(projectId, id)]))[0]!;
  }

  /** The endpoints with their breakers' state and the events they hold. */
  async withBreakers(projectId: string, endpoints: WebhookEndpointRecord[]): Promise<EndpointWithBreaker[]> {
    const ids = endpoints.map((e) => e.id);
    const [breakers, pending] = await Promise.all([this.store.breakers.list(ids), this.store.breakers.pendingCounts(ids)]);
    const byId = new Map(breakers.map((b) => [b.endpointId, b]));
    return endpoints.map((endpoint) => {
      const b = byId.get(endpoint.id) ?? activeBreaker(endpoint.id, projectId, endpoint.createdAt);
      const state = endpoint.isEnabled ? b.state : ('disabled' as const);
      return {
        endpoint,
        state,
        stateSince: state === 'disabled' ? (endpoint.disabledAt ?? endpoint.updatedAt) : b.state === 'active' && !byId.has(endpoint.id) ? endpoint.createdAt : b.stateSince,
        heldEvents: state === 'active' ? 0 : (pending.get(endpoint.id) ?? 0),
        nextProbeAt: state === 'failing' || state === 'probing' ? b.nextProbeAt : null,
        throttledUntil: b.throttledUntil !== null && b.throttledUntil > this.options.now() ? b.throttledUntil : null,
      };
    });
  }

  /** A new secret; the old one keeps signing (a second signature) for the overlap window. */
  async rotateSecret(projectId: string, id: string): Promise<WebhookEndpointRecord> {
    return this.update(projectId, id, (e, now) => ({
      ...e,
      secret: newWebhookSecret(),
      previousSecret: e.secret,
      previousSecretExpiresAt: now + this.options.secretOverlapMs,
      updatedAt: now,
    }));
  }

  /**
   * Sends one signed `webhook.test` event to the endpoint now (disabled or not, no retries) and returns
   * the attempt. The event and attempt are kept in the delivery history like any other.
   */
  async test(projectId: string, id: string): Promise<{ eventId: string; result: AttemptResult }> {
    const endpoint = await this.get(projectId, id);
    const now = this.options.now();
    const payload: WebhookTestEvent = {
      event_id: `test_${shortId()}`,
      type: 'webhook.test',
      project_id: projectId,
      endpoint_id: endpoint.id,
      timestamp: rfc3339Seconds(now),
    };
    const body = JSON.stringify(payload);
    const message = { ...endpoint, eventId: payload.event_id, eventType: payload.type, body };
    const result = await this.sender.send({ url: endpoint.url, body, headers: webhookHeaders(message, now) });
    await this.store.transaction(async (tx) => {
      await tx.webhookDeliveries.insertEvent({
        id: payload.event_id,
        projectId,
        type: payload.type,
        body,
        createdAt: now,
        // Kept for the delivery history, but not part of the event log: a test is not something that happened.
        sequence: null,
        subject: endpoint.id,
        orchestrationId: null,
      });
      const at = this.options.now();
      const base = { eventId: payload.event_id, endpointId: id, projectId, eventType: payload.type, lastHttpStatus: null, lastError: null };
      await tx.webhookDeliveries.insertDeliveries([
        { ...base, status: 'pending', attempts: 0, runAttempts: 0, nextAttemptAt: null, version: 0, createdAt: now, updatedAt: now },
      ]);
      const [delivery] = await tx.webhookDeliveries.list(projectId, { eventId: payload.event_id, limit: 1 });
      if (!delivery) return;
      await tx.webhookDeliveries.recordOutcomes([
        {
          attempt: { deliverySeq: delivery.seq, attempt: 1, ...pick(result) },
          version: 0,
          status: result.isSuccess ? 'succeeded' : 'failed',
          nextAttemptAt: null,
          now: at,
        },
      ]);
    });
    return { eventId: payload.event_id, result };
  }

  /** Queues the endpoint's failed and skipped deliveries of events since `since` again (after an outage). */
  async recover(projectId: string, id: string, since: unknown): Promise<number> {
    const sinceMs = typeof since === 'string' && /^\d{4}-\d\d-\d\dT/.test(since) ? Date.parse(since) : NaN;
    if (Number.isNaN(sinceMs)) {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'since: an RFC 3339 time is required, e.g. {"since": "2026-10-27T15:00:00Z"}', { param: 'since' });
    }
    const count = await this.store.transaction(async (tx) => {
      const endpoint = notFoundUnless(await tx.webhookEndpoints.get(projectId, id), id);
      if (!endpoint.isEnabled) {
        throw new EngineError(ERROR_CODES.CONFLICT, `webhook ${id} is disabled; enable it first (POST /webhooks/${id}/enable)`);
      }
      return tx.webhookDeliveries.requeueEndpoint(id, sinceMs, this.options.now());
    });
    if (count > 0) this.options.wake();
    return count;
  }

  /** Sends an event again, with the same body and id, to its endpoints (or to the one given). */
  async redeliver(projectId: string, eventId: string, endpointId: unknown): Promise<number> {
    if (endpointId !== undefined && (typeof endpointId !== 'string' || endpointId === '')) {
      throw new EngineError(ERROR_CODES.VALIDATION_FAILED, 'endpoint: must be a webhook id', { param: 'endpoint' });
    }
    const count = await this.store.transaction(async (tx) => {
      if (!(await tx.webhookDeliveries.getEvent(projectId, eventId))) {
        throw new EngineError(ERROR_CODES.NOT_FOUND, `webhook event not found: ${eventId}`, { param: 'event_id' });
      }
      const deliveries = await tx.webhookDeliveries.list(projectId, { eventId, limit: 10_000 });
      const targets: string[] = [];
      for (const d of deliveries) {
        if (endpointId !== undefined && d.endpointId !== endpointId) continue;
        const endpoint = await tx.webhookEndpoints.get(projectId, d.endpointId);
        if (endpoint?.isEnabled) targets.push(d.endpointId);
        else if (endpointId !== undefined) {
          throw new EngineError(ERROR_CODES.CONFLICT, `webhook ${d.endpointId} is ${endpoint ? 'disabled' : 'deleted'}; nothing can be sent to it`);
        }
      }
      if (endpointId !== undefined && targets.length === 0) {
        throw new EngineError(ERROR_CODES.NOT_FOUND, `event ${eventId} was never addressed to webhook ${String(endpointId)}`, { param: 'endpoint' });
      }
      return tx.webhookDeliveries.requeueEvent(eventId, targets, this.options.now());
    });
    if (count > 0) this.options.wake();
    return count;
  }

  private async update(
    projectId: string,
    id: string,
    change: (e: WebhookEndpointRecord, now: number) => WebhookEndpointRecord,
  ): Promise<WebhookEndpointRecord> {
    return this.store.transaction(async (tx) => {
      const updated = change(notFoundUnless(await tx.webhookEndpoints.get(projectId, id), id), this.options.now());
      await tx.webhookEndpoints.update(updated);
      return updated;
    });
  }

  private newEndpoint(projectId: string, kind: WebhookEndpointKind, url: string): WebhookEndpointRecord {
    const now = this.options.now();
    return {
      id: newWebhookEndpointId(),
      projectId,
      kind,
      url,
      secret: newWebhookSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
      isEnabled: true,
      disabledReason: null,
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
  }
}

const kindName = (kind: WebhookEndpointKind) => (kind === 'compensation_failure' ? 'compensation-failure' : kind);

function pick(r: AttemptResult) {
  return { startedAt: r.startedAt, durationMs: r.durationMs, httpStatus: r.httpStatus, responseBody: r.responseBody, requestHeaders: r.requestHeaders, responseHeaders: r.responseHeaders, error: r.error, isSuccess: r.isSuccess };
}

function notFoundUnless<T>(value: T | undefined, id: string): T {
  if (value === undefined) throw new EngineError(ERROR_CODES.NOT_FOUND, `webhook not found: ${id}`, { param: 'id' });
  return value;
}
