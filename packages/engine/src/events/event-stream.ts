import type { ServerResponse } from 'node:http';
import { cursorOf } from '@orra/protocol';
import { toEnvelope } from './event-envelope.js';
import type { EventFeed, FeedQuery } from './event-feed.js';
import type { ProgressNotice } from './progress-signal.js';

/** Where a stream reports a failed read (a request's logger). */
export interface StreamLog {
  warn(obj: object, msg: string): void;
}

export interface EventStreamOptions {
  keepaliveMs: number;
  bookmarkMs: number;
  /** Unsent bytes one client may have before it is closed as too slow. */
  maxBufferBytes: number;
}

/** What a stream sends: the log's events (filtered), and with `withProgress` the progress notices too. */
export type StreamQuery = Pick<FeedQuery, 'types' | 'orchestrationId'> & { withProgress?: boolean };

/** Events read from the log per query while a stream catches up. */
const PAGE = 500;
/** The reconnect delay a client is told to use (`retry:`), in ms. */
const RETRY_MS = 2_000;

/**
 * One Server-Sent Events stream over a project's log. It reads from the table, never from a queue of
 * its own: a wake (EventSignal) makes it read what follows its cursor, a page at a time, and it reads the
 * next page only while the client's unsent bytes stay under the limit, so memory per client is bounded
 * by one page. A client that lets the limit be passed is closed with a `close` event saying why, and
 * resumes from its cursor (`Last-Event-ID`).
 */
export class EventStream {
  private sequence: number;
  private isReading = false;
  private isWokenAgain = false;
  private isClosed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: () => void = () => {};
  private unsubscribeProgress: () => void = () => {};

  constructor(
    private readonly feed: EventFeed,
    private readonly res: ServerResponse,
    private readonly projectId: string,
    private readonly query: StreamQuery,
    afterSequence: number,
    private readonly options: EventStreamOptions,
    private readonly log: StreamLog,
    private readonly onEnd: (stream: EventStream) => void,
  ) {
    this.sequence = afterSequence;
  }

  start(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses by default, which would hold events back.
      'x-accel-buffering': 'no',
    });
    this.res.write(`retry: ${RETRY_MS}\n\n`);
    this.res.on('close', () => this.close());
    this.unsubscribe = this.feed.signal.subscribe(this.projectId, () => this.pump());
    if (this.query.withProgress) this.unsubscribeProgress = this.feed.progress.subscribe(this.projectId, (n) => this.sendProgress(n));
    this.timers.push(setInterval(() => this.write(': keepalive\n\n'), this.options.keepaliveMs));
    if (this.query.types || this.query.orchestrationId) {
      this.timers.push(setInterval(() => this.pump(true), this.options.bookmarkMs));
    }
    this.pump();
  }

  /** Ends the stream (engine shutdown, or the client went away). */
  close(reason?: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.unsubscribe();
    this.unsubscribeProgress();
    for (const t of this.timers) clearInterval(t);
    if (reason && !this.res.writableEnded) this.res.write(`event: close\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.res.end();
    this.onEnd(this);
  }

  /**
   * Sends what follows the cursor. With `isBookmark`, and when the filter hid events up to the head, it
   * then sends a `bookmark` whose id is the head: a client that reconnects with it skips what it would
   * only have filtered out again.
   */
  private pump(isBookmark = false): void {
    if (this.isClosed) return;
    if (this.isReading) {
      this.isWokenAgain = true;
      return;
    }
    this.isReading = true;
    void this.catchUp(isBookmark)
      .catch((err: unknown) => {
        this.log.warn({ err, projectId: this.projectId }, 'event stream failed to read the log');
        this.close('the engine could not read the event log; reconnect to resume');
      })
      .finally(() => {
        this.isReading = false;
        if (this.isWokenAgain && !this.isClosed) {
          this.isWokenAgain = false;
          this.pump();
        }
      });
  }

  private async catchUp(isBookmark: boolean): Promise<void> {
    // The head is read first: every matching event up to it is sent below, so a bookmark at it skips nothing.
    const head = isBookmark ? (await this.feed.position(this.projectId, this.sequence)).headSequence : 0;
    for (;;) {
      if (this.isClosed) return;
      if (this.res.writableLength > this.options.maxBufferBytes) {
        this.close(`too slow: more than ${this.options.maxBufferBytes} bytes waited unsent; reconnect with Last-Event-ID to resume`);
        return;
      }
      const { rows, hasMore } = await this.feed.read(this.projectId, this.sequence, { limit: PAGE, ...this.query });
      for (const e of rows) {
        const envelope = toEnvelope(e);
        this.write(`id: ${envelope.sequence}\nevent: ${envelope.type}\ndata: ${JSON.stringify(envelope)}\n\n`);
        this.sequence = e.sequence ?? this.sequence;
      }
      if (!hasMore) break;
    }
    if (isBookmark && head > this.sequence) {
      this.sequence = head;
      this.write(`id: ${cursorOf(head)}\nevent: bookmark\ndata: ${JSON.stringify({ head_cursor: cursorOf(head) })}\n\n`);
    }
  }

  /**
   * A progress notice: an event without `id:`, so a client's Last-Event-ID stays the log's cursor; it is
   * written at once (no queue), and counts toward the slow-client limit like the log's events.
   */
  private sendProgress(n: ProgressNotice): void {
    if (this.isClosed || (this.query.orchestrationId && n.orchestrationId !== this.query.orchestrationId)) return;
    if (this.res.writableLength > this.options.maxBufferBytes) {
      this.close(`too slow: more than ${this.options.maxBufferBytes} bytes waited unsent; reconnect with Last-Event-ID to resume`);
      return;
    }
    const data = {
      orchestration_id: n.orchestrationId,
      ...(n.status ? { status: n.status } : {}),
      tasks: n.tasks.map((t) => ({ task_id: t.taskId, state: t.state, kind: t.kind, ...(t.compensationId ? { compensation_id: t.compensationId } : {}) })),
    };
    this.write(`event: progress\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private write(frame: string): void {
    if (!this.isClosed && !this.res.writableEnded) this.res.write(frame);
  }
}
