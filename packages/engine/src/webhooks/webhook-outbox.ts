import type { WebhookEndpointKind, WebhookEventType } from '@orra/protocol';
import type { DueDelivery, Repos } from '../storage/store.js';

/** An event to send to every endpoint of `kind` in the project. */
export interface OutboxEvent {
  projectId: string;
  kind: WebhookEndpointKind;
  type: WebhookEventType;
  /** Must equal `payload.event_id`. */
  eventId: string;
  /** The body, serialised once: every attempt and endpoint gets the same bytes. */
  payload: { event_id: string };
  /** The `o_…`/`c_…` id the event is about. */
  subject: string;
  orchestrationId: string | null;
}

/** What `enqueue` stored. */
export interface Enqueued {
  eventId: string;
  projectId: string;
  type: WebhookEventType;
  /** Its place in the project's event log. */
  sequence: number;
  /** Its deliveries due now, with all an attempt needs, when the store told their seqs (SQLite). */
  ready: DueDelivery[];
}

/**
 * The transactional outbox. `enqueue` runs inside the transaction that commits the state change the
 * event describes, so an event exists if and only if that state was committed; `wake` (after commit)
 * lets the dispatcher send it at once instead of waiting for a timer.
 */
export class WebhookOutbox {
  constructor(
    private readonly now: () => number,
    /** Delay before the first attempt: the retry schedule's first entry (normally 0). */
    private readonly firstDelayMs: number,
    private readonly onWake: (ready: readonly DueDelivery[]) => void,
    /** A project's log grew (after commit): wakes its feed readers in this process, counts the event. */
    private readonly onCommitted: (projectId: string, type: WebhookEventType) => void = () => {},
  ) {}

  /**
   * Appends the event to the project's event log (always: the feed serves it even when no endpoint
   * wants it) and stores one delivery per endpoint of its kind: `pending` for enabled endpoints,
   * `skipped` for disabled ones (kept for `recover`). Enqueuing the same event twice stores it once.
   * Returns what was stored (the event id used, its sequence, and the deliveries to hand to `wake`), or
   * undefined when the event was there already.
   */
  async enqueue(tx: Repos, event: OutboxEvent): Promise<Enqueued | undefined> {
    const now = this.now();
    let { eventId, payload } = event;
    let body = JSON.stringify(payload);
    // Ids carry unix seconds, so two failures of one compensation within a second (a quick manual
    // retry) would share one; the later event then gets a suffix rather than being lost. The insert itself
    // tells whether the id is taken (no lookup before it: one statement less for every event), and a
    // duplicate gives its sequence back at once, so it never burns a number.
    let sequence: number;
    for (let n = 2; ; n++) {
      sequence = await tx.events.nextSequence(event.projectId);
      const record = { id: eventId, projectId: event.projectId, type: event.type, body, createdAt: now, sequence, subject: event.subject, orchestrationId: event.orchestrationId };
      if (await tx.webhookDeliveries.insertEvent(record)) break;
      await tx.events.releaseSequence(event.projectId, sequence);
      const existing = await tx.webhookDeliveries.getEvent(event.projectId, eventId);
      // Event ids are unique across projects (they carry the o_/c_ id), so a conflict with another
      // project's event is a bug; failing rolls the transaction back.
      if (existing === undefined) throw new Error(`event ${eventId} exists already`);
      if (existing.body === body) return undefined;
      eventId = `${event.eventId}-${n}`;
      payload = { ...event.payload, event_id: eventId };
      body = JSON.stringify(payload);
    }
    const endpoints = await tx.webhookEndpoints.list(event.projectId, event.kind);
    if (endpoints.length === 0) return { eventId, projectId: event.projectId, type: event.type, sequence, ready: [] };
    const seqs = await tx.webhookDeliveries.insertDeliveries(
      endpoints.map((ep) => ({
        eventId,
        endpointId: ep.id,
        projectId: event.projectId,
        eventType: event.type,
        status: ep.isEnabled ? ('pending' as const) : ('skipped' as const),
        attempts: 0,
        runAttempts: 0,
        nextAttemptAt: ep.isEnabled ? now + this.firstDelayMs : null,
        lastHttpStatus: null,
        lastError: ep.isEnabled ? null : 'endpoint disabled when the event arose; send it with POST /webhooks/{id}/recover',
        version: 0,
        createdAt: now,
        updatedAt: now,
      })),
    );
    const ready: DueDelivery[] = [];
    endpoints.forEach((ep, i) => {
      const seq = seqs?.[i];
      // Only orchestration events are handed over ready: an orchestration has one, so it overtakes nothing
      // of its own. A compensation.failed event may follow an earlier one of its orchestration still being
      // retried, so it waits in storage, where the due query keeps each orchestration's events in order.
      if (seq === undefined || seq === null || !ep.isEnabled || this.firstDelayMs > 0 || event.kind !== 'orchestration') return;
      ready.push({
        seq,
        projectId: event.projectId,
        eventId,
        eventType: event.type,
        eventCreatedAt: now,
        sequence,
        endpointId: ep.id,
        body,
        url: ep.url,
        secret: ep.secret,
        previousSecret: ep.previousSecret,
        previousSecretExpiresAt: ep.previousSecretExpiresAt,
        runAttempts: 0,
        attempts: 0,
        version: 0,
      });
    });
    return { eventId, projectId: event.projectId, type: event.type, sequence, ready };
  }

  /**
   * Call once the enqueuing transaction has committed, in the same turn (as a step's afterCommit runs).
   * Given what `enqueue` returned, the dispatcher may send those deliveries without reading them back;
   * either way it looks for due deliveries in storage when it has to. Readers of the project's feed
   * waiting for a new event are woken too.
   */
  wake(enqueued?: Enqueued): void {
    if (enqueued) this.onCommitted(enqueued.projectId, enqueued.type);
    this.onWake(enqueued?.ready ?? []);
  }
}
