import { rfc3339, type WebhookEndpointStatsOut, type WebhookStatsOut } from '@orra/protocol';
import type { Store, WebhookEndpointRecord } from '../storage/store.js';

/** The window of the Webhooks screen's success rate and last status. */
export const STATS_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Each endpoint's attempts in the last 24 h: how many, how many succeeded, and the latest (its status and
 * when). One grouped query for all the project's endpoints; an endpoint without attempts in the window is
 * listed with zeros, so a client need not tell "none" from "missing".
 */
export async function endpointStats(store: Store, projectId: string, endpoints: WebhookEndpointRecord[], now: number): Promise<WebhookStatsOut> {
  const since = now - STATS_WINDOW_MS;
  const byId = new Map((await store.webhookStats.attemptStats(projectId, since)).map((s) => [s.endpointId, s]));
  return {
    since: rfc3339(since),
    until: rfc3339(now),
    endpoints: endpoints.map((e): WebhookEndpointStatsOut => {
      const s = byId.get(e.id);
      if (!s) return { endpointId: e.id, attempts: 0, succeeded: 0, successRate: null, lastAttempt: null };
      return {
        endpointId: e.id,
        attempts: s.attempts,
        succeeded: s.succeeded,
        successRate: s.succeeded / s.attempts,
        lastAttempt: { at: rfc3339(s.last.startedAt), httpStatus: s.last.httpStatus, error: s.last.error, succeeded: s.last.isSuccess },
      };
    }),
  };
}
