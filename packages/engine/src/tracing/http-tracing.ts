import { SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tracing } from './tracing.js';

/** Each traced request's span, and the context its children start in. */
const traced = new WeakMap<FastifyRequest, { span: Span; ctx: Context }>();

/**
 * A server span per HTTP request, continuing the caller's `traceparent` (and `tracestate`, `baggage`),
 * named `{method} {route}` (the route template: ids never go into names). The request's logger carries
 * the span's `trace_id` and `span_id`; routes hand `requestTraceContext(request)` to what they start
 * (the orchestration's anchor hangs under the request span).
 */
export function traceHttpRequests(app: FastifyInstance, tracing: Tracing): void {
  if (!tracing.isEnabled) return;
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    const parent = tracing.extract(request.headers);
    const span = tracing.startSpan(
      route ? `${request.method} ${route}` : request.method,
      SpanKind.SERVER,
      {
        'http.request.method': request.method,
        'url.path': request.url.split('?')[0] ?? request.url,
        ...(route ? { 'http.route': route } : {}),
      },
      parent,
    );
    if (!span) return;
    traced.set(request, { span, ctx: tracing.contextWith(parent, span) });
    const { traceId, spanId } = span.spanContext();
    request.log = request.log.child({ trace_id: traceId, span_id: spanId });
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = traced.get(request);
    if (!entry) return;
    traced.delete(request);
    entry.span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) {
      entry.span.setAttribute('error.type', String(reply.statusCode));
      entry.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    entry.span.end();
  });
}

/** The context a request's children start in (undefined when the request is not traced). */
export function requestTraceContext(request: FastifyRequest): Context | undefined {
  return traced.get(request)?.ctx;
}
