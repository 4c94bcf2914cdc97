import { ERROR_CODES, rfc3339 } from '@orra/protocol';
import type { FastifyInstance } from 'fastify';
import { EngineError } from '../../errors/engine-error.js';
import type { AuditClient } from '../../storage/store.js';
import { callerOf, type RouteDeps } from '../route-deps.js';

type Query = Record<string, string | undefined>;
const CLIENTS = new Set<AuditClient>(['console', 'cli', 'api']);
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/** `GET /audit`: the project's operator changes, newest first, with filters and a cursor. */
export function auditRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get<{ Querystring: Query }>('/audit', async (request) => {
    const q = request.query;
    if (q.client && !CLIENTS.has(q.client as AuditClient)) throw invalid('client', 'must be console, cli or api');
    const limit = integer(q.limit, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE;
    const entries = await deps.store.audit.list(callerOf(request).projectId, {
      itemId: q.item || undefined,
      action: q.action || undefined,
      keyId: q.key || undefined,
      client: (q.client || undefined) as AuditClient | undefined,
      since: time(q.since, 'since'),
      until: time(q.until, 'until'),
      beforeSeq: integer(q.cursor, 'cursor', 1, Number.MAX_SAFE_INTEGER),
      limit,
    });
    const last = entries.at(-1);
    return {
      entries: entries.map(({ seq: _seq, projectId: _p, at, ...e }) => ({ ...e, at: rfc3339(at) })),
      nextCursor: entries.length === limit && last ? String(last.seq) : null,
    };
  });
}

const invalid = (param: string, why: string) => new EngineError(ERROR_CODES.VALIDATION_FAILED, `${param}: ${why}`, { param });

function integer(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(name, `must be an integer from ${min} to ${max}`);
  return n;
}

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(name, 'must be an RFC 3339 time such as 2026-01-02T15:04:05Z');
  return ms;
}
