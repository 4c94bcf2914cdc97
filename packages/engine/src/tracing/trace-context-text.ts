import { createTraceState, isSpanContextValid, trace, type Context, type SpanContext, ROOT_CONTEXT } from '@opentelemetry/api';

/**
 * A span context as stored with an orchestration, a task or a compensation: the W3C `traceparent` and
 * `tracestate` in a small JSON object. Always W3C, whatever `OTEL_PROPAGATORS` says: this is our own
 * storage, read back by any engine process that continues the trace after a restart or takeover.
 */
export interface StoredTraceContext {
  traceparent: string;
  tracestate?: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context as W3C header values. */
export function toW3c(spanContext: SpanContext): StoredTraceContext {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  const state = spanContext.traceState?.serialize();
  return {
    traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`,
    ...(state ? { tracestate: state } : {}),
  };
}

/** The text stored in a `trace_context` column. */
export function serializeTraceContext(spanContext: SpanContext): string {
  return JSON.stringify(toW3c(spanContext));
}

/** The span context stored in a `trace_context` column; undefined when absent or unreadable. */
export function parseTraceContext(text: string | null | undefined): SpanContext | undefined {
  if (!text) return undefined;
  let stored: Partial<StoredTraceContext>;
  try {
    stored = JSON.parse(text) as Partial<StoredTraceContext>;
  } catch {
    return undefined;
  }
  const match = typeof stored.traceparent === 'string' ? TRACEPARENT.exec(stored.traceparent) : null;
  if (!match) return undefined;
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16),
    isRemote: true,
    ...(typeof stored.tracestate === 'string' ? { traceState: createTraceState(stored.tracestate) } : {}),
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** A context whose parent is the stored span (ROOT when there is none). */
export function contextOf(text: string | null | undefined): Context {
  const spanContext = parseTraceContext(text);
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}
