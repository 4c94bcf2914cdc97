import { cursorOf, ERROR_CODES, type EventPageOut, type LoggedEventType } from '@orra/protocol';
import { EngineError } from '../errors/engine-error.js';
import type { Store, WebhookEventRecord } from '../storage/store.js';
import type { ServerResponse } from 'node:http';
import { toEnvelope } from './event-envelope.js';
import type { EventSignal } from './event-signal.js';
import { EventStream, type EventStreamOptions, type StreamLog, type StreamQuery } from './event-stream.js';
import type { ProgressSignal } from './progress-signal.js';

/** A validated feed request. */
export interface FeedQuery {
  /** Exclusive start: a sequence, `head` (only what comes next), or undefined (the oldest retained). */
  after: number | 'head' | undefined;
  limit: number;
  types?: readonly LoggedEventType[];
  orchestrationId?: string;
  /** How long to hold an empty page for the first new matching event (0: answer at once). */
  waitMs: number;
}

/** Where a reader stands: the resolved exclusive start, and the project's head. */
export interface FeedPosition {
  afterSequence: number;
  headSequence: number;
}

/** The read side of the event log: cursor rules, long-poll, envelopes. Scoped to the caller's project. */
export class EventFeed {
  /** Open SSE streams, ended on shutdown (an open stream would otherwise keep the server from closing). */
  private readonly streams = new Set<EventStream>();
  /** Aborted on shutdown: held long-polls answer at once instead of holding the server open for up to 30 s. */
  private readonly shutdown = new AbortController();

  constructor(
    private readonly store: Store,
    readonly signal: EventSignal,
    readonly progress: ProgressSignal,
    private readonly streamOptions: EventStreamOptions,
  ) {}

  /** Starts an SSE stream of the project's log after the sequence on a response the route handed over. */
  openStream(res: ServerResponse, projectId: string, q: StreamQuery, afterSequence: number, log: StreamLog): void {
    const stream = new EventStream(this, res, projectId, q, afterSequence, this.streamOptions, log, (s) => this.streams.delete(s));
    this.streams.add(stream);
    stream.start();
  }

  /** True once the engine has begun to shut down. */
  get isShuttingDown(): boolean {
    return this.shutdown.signal.aborted;
  }

  /** Ends every open stream (engine shutdown); clients reconnect, elsewhere or later, with Last-Event-ID. */
  closeStreams(): void {
    this.shutdown.abort();
    for (const s of [...this.streams]) s.close('the engine is shutting down; reconnect with Last-Event-ID to resume');
  }

  /**
   * Resolves a cursor against the project's log. A cursor below what retention deleted has lost events:
   * `Orra:CursorExpired` (410) with the oldest cursor that is complete. A cursor beyond the head was never
   * issued for this project (another project's, or a database that was reset): 400.
   */
  async position(projectId: string, after: FeedQuery['after']): Promise<FeedPosition> {
    const { headSequence, prunedThrough } = await this.store.events.bounds(projectId);
    const afterSequence = after === 'head' ? headSequence : (after ?? prunedThrough);
    if (afterSequence < prunedThrough) {
      throw new EngineError(
        ERROR_CODES.CURSOR_EXPIRED,
        `cursor ${cursorOf(afterSequence)} has expired: events up to ${cursorOf(prunedThrough)} were deleted by retention; resync, then read from oldest_cursor`,
        { param: 'after', details: { oldestCursor: cursorOf(prunedThrough) } },
      );
    }
    if (afterSequence > headSequence) {
      throw new EngineError(
        ERROR_CODES.VALIDATION_FAILED,
        `cursor ${cursorOf(afterSequence)} is beyond this project's newest event (${cursorOf(headSequence)}); use a cursor this project's feed returned`,
        { param: 'after' },
      );
    }
    return { afterSequence, headSequence };
  }

  /** Matching events after the sequence, at most `limit`, plus whether more follow. */
  async read(projectId: string, afterSequence: number, q: Pick<FeedQuery, 'limit' | 'types' | 'orchestrationId'>): Promise<{ rows: WebhookEventRecord[]; hasMore: boolean }> {
    const rows = await this.store.events.list(projectId, {
      afterSequence,
      limit: q.limit + 1,
      ...(q.types ? { types: q.types } : {}),
      ...(q.orchestrationId ? { orchestrationId: q.orchestrationId } : {}),
    });
    const hasMore = rows.length > q.limit;
    if (hasMore) rows.length = q.limit;
    return { rows, hasMore };
  }

  /**
   * One page. With `waitMs`, an empty page is held until a matching event commits (woken by the
   * commit, in this process or another: see EventSignal) or the time is up, or the client goes away.
   */
  async page(projectId: string, q: FeedQuery, abort: AbortSignal): Promise<EventPageOut> {
    const start = await this.position(projectId, q.after);
    let { rows, hasMore } = await this.read(projectId, start.afterSequence, q);
    if (rows.length === 0 && q.waitMs > 0 && !abort.aborted && !this.shutdown.signal.aborted) {
      ({ rows, hasMore } = await this.waitForRows(projectId, start.afterSequence, q, abort));
    }
    const last = rows.at(-1)?.sequence ?? undefined;
    const head = Math.max(start.headSequence, last ?? 0, (await this.store.events.bounds(projectId)).headSequence);
    return {
      data: rows.map(toEnvelope),
      next_cursor: cursorOf(last ?? start.afterSequence),
      has_more: hasMore,
      head_cursor: cursorOf(head),
    };
  }

  private waitForRows(projectId: string, afterSequence: number, q: FeedQuery, abort: AbortSignal): Promise<{ rows: WebhookEventRecord[]; hasMore: boolean }> {
    return new Promise((resolve, reject) => {
      let isDone = false;
      let isReading = false;
      let isWokenAgain = false;
      const finish = (result: { rows: WebhookEventRecord[]; hasMore: boolean } | Error) => {
        if (isDone) return;
        isDone = true;
        clearTimeout(timer);
        unsubscribe();
        abort.removeEventListener('abort', onAbort);
        shutdown.removeEventListener('abort', onAbort);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const empty = { rows: [], hasMore: false };
      const onAbort = () => finish(empty);
      const shutdown = this.shutdown.signal;
      // One read at a time; wakes during a read make one more read after it (no wake is lost).
      const check = () => {
        if (isDone) return;
        if (isReading) {
          isWokenAgain = true;
          return;
        }
        isReading = true;
        this.read(projectId, afterSequence, q).then(
          (r) => {
            isReading = false;
            if (r.rows.length > 0) finish(r);
            else if (isWokenAgain) {
              isWokenAgain = false;
              check();
            }
          },
          (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
        );
      };
      // Subscribe before the first read: an event committed between the caller's read and this one wakes it.
      const unsubscribe = this.signal.subscribe(projectId, check);
      const timer = setTimeout(() => finish(empty), q.waitMs);
      abort.addEventListener('abort', onAbort);
      shutdown.addEventListener('abort', onAbort);
      check();
    });
  }
}
