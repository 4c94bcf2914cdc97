import type Database from 'better-sqlite3';
import { attemptStatsFromRow, WEBHOOK_STATS_SQL, type WebhookStatsRepo } from '../webhook-stats-records.js';

export function createWebhookStatsRepo(db: Database.Database): WebhookStatsRepo {
  const attemptStats = db.prepare(WEBHOOK_STATS_SQL.sqlite);
  return {
    attemptStats: async (projectId, sinceMs) =>
      (attemptStats.all(sinceMs, projectId) as Record<string, unknown>[]).map(attemptStatsFromRow),
  };
}
