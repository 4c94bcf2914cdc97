import { isIP } from 'node:net';
import { Agent, errors } from 'undici';
import { boundResponseHeaders } from './response-headers.js';
import { parseRetryAfter } from './retry-schedule.js';
import { SsrfRefusedError, type SsrfPolicy } from './ssrf-policy.js';

/** How much of a response body is kept in the attempt log. */
export const RESPONSE_BODY_LIMIT = 4096;
/** Beyond this the response is cut off instead of drained (draining keeps the connection reusable). */
const DRAIN_LIMIT = 64 * 1024;

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** What happened, as a metric label: a 2xx, another status, no answer in time, a network error, or refused by policy. */
export type AttemptKind = 'success' | 'http_error' | 'timeout' | 'network_error' | 'refused';

/** The outcome of one HTTP attempt. Retryable vs final is decided here, where the error happens. */
export interface AttemptResult {
  kind: AttemptKind;
  isSuccess: boolean;
  /** `410 Gone`: the receiver asks us to stop; the endpoint gets disabled. */
  isGone: boolean;
  httpStatus: number | null;
  responseBody: string | null;
  /** The headers sent, as sent (signature, not the secret). */
  requestHeaders: Record<string, string>;
  /** The response's headers, bounded (response-headers.ts); null when no response came. */
  responseHeaders: Record<string, string> | null;
  error: string | null;
  retryAfterMs: number | undefined;
  startedAt: number;
  durationMs: number;
}

export interface WebhookSenderOptions {
  timeoutMs: number;
  connectionsPerOrigin: number;
  policy: SsrfPolicy;
  now?: () => number;
}

/**
 * Sends webhook requests over undici connection pools (one per origin, inside one Agent). Node's global
 * fetch manages about a tenth of the rate on loopback. Redirects are not followed: a 3xx is a failure.
 */
export class WebhookSender {
  private readonly agent: Agent;
  private readonly now: () => number;
  private readonly targets = new Map<string, Target>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: WebhookSenderOptions) {
    this.now = options.now ?? Date.now;
    this.agent = new Agent({
      connections: options.connectionsPerOrigin,
      keepAliveTimeout: 30_000,
      // The policy's lookup runs on every new connection: the address actually used is the one checked.
      connect: { timeout: options.timeoutMs, lookup: options.policy.lookup },
    });
  }

  async send(request: WebhookRequest): Promise<AttemptResult> {
    const startedAt = this.now();
    const started = performance.now();
    const done = (r: Omit<AttemptResult, 'startedAt' | 'durationMs' | 'retryAfterMs' | 'requestHeaders'> & { retryAfterMs?: number }): AttemptResult => ({
      retryAfterMs: undefined,
      ...r,
      requestHeaders: request.headers,
      startedAt,
      durationMs: Math.round(performance.now() - started),
    });
    const failure = (kind: AttemptKind, error: string) =>
      done({ kind, isSuccess: false, isGone: false, httpStatus: null, responseBody: null, responseHeaders: null, error });
    const target = this.targetOf(request.url);
    if ('error' in target) return failure(target.kind, target.error);

    try {
      const response = await this.post(target, request);
      const status = response.statusCode;
      const isSuccess = status >= 200 && status < 300;
      return done({
        kind: isSuccess ? 'success' : 'http_error',
        isSuccess,
        isGone: status === 410,
        httpStatus: status,
        responseBody: response.body,
        responseHeaders: response.headers,
        error: isSuccess ? null : status >= 300 && status < 400 ? `redirect (${status}) not followed` : `HTTP ${status}`,
        retryAfterMs: parseRetryAfter(response.retryAfter, this.now()),
      });
    } catch (err) {
      if (err instanceof SsrfRefusedError || (err as { cause?: unknown }).cause instanceof SsrfRefusedError) {
        return failure('refused', (err instanceof SsrfRefusedError ? err : ((err as { cause: Error }).cause)).message);
      }
      const isTimeout = err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError;
      return failure(isTimeout ? 'timeout' : 'network_error', describeError(err, this.options.timeoutMs));
    }
  }

  /**
   * One POST through undici's dispatch API. Its `request()` wraps every response in a stream and a
   * promise chain; on loopback that cost about 3.5 µs of CPU a request, a fifth of the request's whole cost
   * (bench/README.md). undici's own timers bound each phase (connect, response headers, body): a timer and
   * an abort signal per request cost more than the rest of the request on loopback.
   *
   * Keeps the first 4 KiB of the response body for the attempt log and reads up to 64 KiB so the
   * connection can be reused; past that it cuts the connection. Once the status has arrived, an error
   * while reading the body (timeout, reset) still resolves: the status decides the outcome, and the body
   * keeps what arrived.
   */
  private post(target: { origin: string; path: string }, request: WebhookRequest): Promise<Response> {
    return new Promise<Response>((resolve, reject) => {
      let statusCode = 0;
      let retryAfter: string | string[] | undefined;
      let responseHeaders: Record<string, string> = {};
      const chunks: Buffer[] = [];
      let kept = 0;
      let total = 0;
      const finish = () => {
        const body = kept === 0 ? null : Buffer.concat(chunks, kept).toString('utf8');
        resolve({ statusCode, retryAfter, headers: responseHeaders, body });
      };
      this.agent.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: 'POST',
          headers: request.headers,
          body: request.body,
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
        },
        {
          onRequestStart: () => undefined,
          onResponseStart: (_controller, status, headers) => {
            if (status < 200) return; // 1xx: informational, the real response follows
            statusCode = status;
            retryAfter = headers['retry-after'];
            responseHeaders = boundResponseHeaders(headers);
          },
          onResponseData: (controller, chunk) => {
            total += chunk.length;
            if (kept < RESPONSE_BODY_LIMIT) {
              const part = Buffer.from(chunk.subarray(0, RESPONSE_BODY_LIMIT - kept));
              chunks.push(part);
              kept += part.length;
            }
            if (total > DRAIN_LIMIT) controller.abort(new Error('response body over 64 KiB, cut off'));
          },
          onResponseEnd: finish,
          onResponseError: (_controller, err) => (statusCode === 0 ? reject(err) : finish()),
        },
      );
    });
  }

  /**
   * Where a URL sends to, parsed once per URL. An IP literal never goes through the connection's
   * lookup, so the address policy is applied to it here (a literal never resolves differently).
   */
  private targetOf(url: string): Target {
    let target = this.targets.get(url);
    if (target === undefined) {
      target = parseTarget(url, this.options.policy);
      if (this.targets.size >= 1_000) this.targets.clear();
      this.targets.set(url, target);
    }
    return target;
  }

  /** Closes every connection; requests still out fail. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.agent.destroy();
    return this.closing;
  }
}

type Target = { origin: string; path: string } | { kind: AttemptKind; error: string };

/** What an attempt keeps of a response. */
interface Response {
  statusCode: number;
  retryAfter: string | string[] | undefined;
  headers: Record<string, string>;
  body: string | null;
}

function parseTarget(text: string, policy: SsrfPolicy): Target {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { kind: 'network_error', error: `invalid URL ${text}` };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const refusal = isIP(host) ? policy.refusalFor(host) : undefined;
  if (refusal) return { kind: 'refused', error: `refused by the webhook address policy: ${refusal}` };
  return { origin: url.origin, path: url.pathname + url.search };
}

function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof errors.HeadersTimeoutError) return `timed out after ${timeoutMs} ms waiting for the response`;
  if (err instanceof errors.BodyTimeoutError) return `timed out after ${timeoutMs} ms reading the response`;
  if (err instanceof errors.ConnectTimeoutError) return `timed out after ${timeoutMs} ms connecting`;
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const message = e.message ?? e.cause?.message ?? String(err);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
