import { WEBHOOK_STATS_SQL, attemptStatsFromRow, type WebhookStatsRepo } from '../webhook-stats-records.js';
import type { Queryable } from './queryable.js';

const ATTEMPT_STATS = { name: 'orra_webhook_attempt_stats', text: WEBHOOK_STATS_SQL.postgres };

export function createWebhookStatsRepo(q: Queryable): WebhookStatsRepo {
  return {
    attemptStats: async (projectId, sinceMs) => (await q.query(ATTEMPT_STATS, [sinceMs, projectId])).rows.map(attemptStatsFromRow),
  };
}
