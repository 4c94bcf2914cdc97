import { ERROR_CODES, LOGGED_EVENT_TYPES, type LoggedEventType } from '@orra/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { EngineError } from '../../errors/engine-error.js';
import type { FeedQuery } from '../../events/event-feed.js';
import { parseOrchestrationId } from '../query-params.js';
import { callerOf, type RouteDeps } from '../route-deps.js';

type Query = Record<string, string | undefined>;

export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 500;
export const MAX_WAIT_SECONDS = 30;
const KNOWN_TYPES = new Set<string>(LOGGED_EVENT_TYPES);

/** The event log's pull feed (`docs/events.md`). */
export function eventRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get<{ Querystring: Query }>('/events', async (request, reply) => {
    const q = parseFeedQuery(request.query);
    const page = await deps.events.page(callerOf(request).projectId, q, closedSignal(reply));
    // Released by a shutdown: the server has stopped taking connections, but one kept alive after this
    // answer would hold its close until the keep-alive timeout.
    if (deps.events.isShuttingDown) void reply.header('connection', 'close');
    return page;
  });

  // Server-Sent Events over the same log. Errors (bad input, expired cursor) are answered as JSON before
  // the stream starts; after that the connection belongs to the stream.
  app.get<{ Querystring: Query }>('/events/stream', async (request, reply) => {
    const q = request.query;
    const lastEventId = request.headers['last-event-id'];
    const after = typeof lastEventId === 'string' && lastEventId !== '' ? parseCursor(lastEventId, 'Last-Event-ID') : parseCursor(q.after);
    const filter = parseFeedQuery({ ...(q.type ? { type: q.type } : {}), ...(q.orchestration_id !== undefined ? { orchestration_id: q.orchestration_id } : {}) });
    const withProgress = parseInclude(q.include);
    const projectId = callerOf(request).projectId;
    const { afterSequence } = await deps.events.position(projectId, after);
    reply.hijack();
    deps.events.openStream(reply.raw, projectId, { ...filter, withProgress }, afterSequence, request.log);
  });
}

/** Validates the feed's query string; every problem is a 400 naming the parameter, and reads nothing. */
export function parseFeedQuery(q: Query): FeedQuery {
  return {
    after: parseCursor(q.after),
    limit: integerIn(q.limit, 'limit', 1, MAX_EVENT_PAGE) ?? DEFAULT_EVENT_PAGE,
    ...(q.type ? { types: parseTypes(q.type) } : {}),
    ...(q.orchestration_id !== undefined ? { orchestrationId: parseOrchestrationId(q.orchestration_id) } : {}),
    waitMs: Math.round(numberIn(q.wait, 'wait', 0, MAX_WAIT_SECONDS) * 1000),
  };
}

/** A cursor: `head`, or the decimal sequence a page or envelope gave (leading zeros allowed). */
export function parseCursor(raw: string | undefined, param = 'after'): number | 'head' | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'head') return 'head';
  if (!/^\d{1,20}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `${param} must be a cursor from this feed (digits) or "head", got ${JSON.stringify(raw.slice(0, 40))}`, { param });
  }
  return Number(raw);
}

/** `include=progress`: the stream also carries progress notices (not logged; docs/events.md). */
function parseInclude(raw: string | undefined): boolean {
  if (raw === undefined || raw === '') return false;
  if (raw !== 'progress') throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `include may only be "progress", got ${JSON.stringify(raw.slice(0, 40))}`, { param: 'include' });
  return true;
}

function parseTypes(raw: string): LoggedEventType[] {
  const types = raw.split(',').map((t) => t.trim());
  const unknown = types.filter((t) => !KNOWN_TYPES.has(t));
  if (unknown.length > 0) {
    throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `type has unknown event types ${unknown.map((t) => JSON.stringify(t.slice(0, 40))).join(', ')}; known: ${LOGGED_EVENT_TYPES.join(', ')}`, { param: 'type' });
  }
  return [...new Set(types)] as LoggedEventType[];
}

function integerIn(raw: string | undefined, param: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `${param} must be a whole number from ${min} to ${max}`, { param });
  return n;
}

function numberIn(raw: string | undefined, param: string, min: number, max: number): number {
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || n < min || n > max) throw new EngineError(ERROR_CODES.VALIDATION_FAILED, `${param} must be a number of seconds from ${min} to ${max}`, { param });
  return n;
}

/** Aborts when the client goes away before the answer is sent (a held long-poll then stops waiting). */
export function closedSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}
