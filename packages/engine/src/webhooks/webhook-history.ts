import { ERROR_CODES, type WebhookEventOut } from '@orra/protocol';
import { rfc3339 } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { Repos, Store, WebhookDeliveryFilter, WebhookDeliveryRecord } from '../storage/store.js';
import { toAttemptOut, toDeliveryOut } from './webhook-view.js';

/** The largest page of deliveries, and the default. */
export const MAX_DELIVERY_PAGE = 500;
export const DEFAULT_DELIVERY_PAGE = 50;

/** Read side of the outbox: what was sent, to whom, and every attempt. Scoped to the caller's project. */
export class WebhookHistory {
  constructor(private readonly store: Store) {}

  /** Newest first; `nextCursor` continues the listing. */
  async listDeliveries(projectId: string, filter: WebhookDeliveryFilter) {
    const rows = await this.store.webhookDeliveries.list(projectId, { ...filter, limit: filter.limit + 1 });
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      deliveries: page.map(toDeliveryOut),
      nextCursor: rows.length > filter.limit && last ? String(last.seq) : null,
    };
  }

  /**
   * The exact body sent and, per endpoint, every attempt. Read in one transaction, so the deliveries'
   * status and their attempts come from one snapshot even while an outcome is being committed.
   */
  getEvent(projectId: string, eventId: string): Promise<WebhookEventOut> {
    return this.store.transaction((tx) => this.readEvent(tx, projectId, eventId));
  }

  private async readEvent(tx: Repos, projectId: string, eventId: string): Promise<WebhookEventOut> {
    const event = await tx.webhookDeliveries.getEvent(projectId, eventId);
    if (!event) throw new EngineError(ERROR_CODES.NOT_FOUND, `webhook event not found: ${eventId}`, { param: 'event_id' });
    const deliveries = (await tx.webhookDeliveries.list(projectId, { eventId, limit: 10_000 })).reverse();
    const attempts = await tx.webhookDeliveries.listAttempts(deliveries.map((d: WebhookDeliveryRecord) => d.seq));
    return {
      eventId: event.id,
      type: event.type,
      createdAt: rfc3339(event.createdAt),
      body: event.body,
      deliveries: deliveries.map((d) => ({
        ...toDeliveryOut(d),
        attemptLog: attempts.filter((a) => a.deliverySeq === d.seq).map(toAttemptOut),
      })),
    };
  }
}
