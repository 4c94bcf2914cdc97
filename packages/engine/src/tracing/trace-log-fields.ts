import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * `trace_id` and `span_id` of the active span, for pino's mixin: every engine log line written inside a
 * traced operation (an HTTP request, planning) carries them, so a log search finds the trace and back.
 * Without tracing there is no active span. A new object every time: pino merges the line's own fields
 * into what the mixin returns.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
