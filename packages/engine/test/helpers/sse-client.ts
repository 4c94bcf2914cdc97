/** One Server-Sent Events frame (or comment) as received. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  /** A comment line (`: keepalive`), without the colon. */
  comment?: string;
}

/**
 * A minimal SSE client over fetch: reads the stream, splits it into frames as the SSE spec does, and
 * keeps them. Real HTTP to the real engine; no library between (a browser's EventSource parses the same).
 */
export class SseClient {
  readonly frames: SseFrame[] = [];
  status = 0;
  headers: Headers | undefined;
  /** The answer's body when the server refused the stream (not text/event-stream). */
  errorBody: any;
  isEnded = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly url: string,
    private readonly apiKey: string,
    private readonly lastEventId?: string,
    /** Sent as they are (a console session's `cookie`); an empty `apiKey` sends no Authorization header. */
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  /** Connects; resolves once the status and headers are in (the frames keep coming in the background). */
  async open(): Promise<this> {
    const res = await fetch(this.url, {
      headers: {
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
        ...(this.lastEventId ? { 'last-event-id': this.lastEventId } : {}),
        ...this.extraHeaders,
      },
      signal: this.controller.signal,
    });
    this.status = res.status;
    this.headers = res.headers;
    if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
      this.errorBody = await res.json().catch(() => undefined);
      this.isEnded = true;
      return this;
    }
    void this.read(res.body!.getReader());
    return this;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon);
              const value = line.slice(colon + 1).replace(/^ /, '');
              if (field === 'id' || field === 'event') frame[field] = value;
              if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
            }
          }
          this.frames.push(frame);
        }
      }
    } catch {
      /* aborted by close() */
    }
    this.isEnded = true;
  }

  /** The progress notices (`event: progress`, sent without an id), with their data parsed. */
  progress(): { id?: string; data: any }[] {
    return this.frames.filter((f) => f.event === 'progress').map((f) => ({ ...(f.id !== undefined ? { id: f.id } : {}), data: JSON.parse(f.data!) }));
  }

  /** The event frames (not comments, retry or bookmarks), with their data parsed. */
  events(): { id: string; event: string; data: any }[] {
    return this.frames
      .filter((f) => f.event !== undefined && f.event !== 'bookmark' && f.event !== 'close' && f.event !== 'progress' && f.data !== undefined)
      .map((f) => ({ id: f.id!, event: f.event!, data: JSON.parse(f.data!) }));
  }

  close(): void {
    this.controller.abort();
  }
}
