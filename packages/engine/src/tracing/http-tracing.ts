import { SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Tracing } from './tracing.js';

/**
 * A server span per HTTP request, continuing the caller's `traceparent` (and `tracestate`, `baggage`),
 * named `{method} {route}` (the route template: ids never go into names). Route handlers run with it as
 * the active span, so `orchestration.start` hangs under it and log lines carry its ids. Must be installed
 * before the routes are registered (it wraps their handlers as they are added).
 */
export function traceHttpRequests(app: FastifyInstance, tracing: Tracing): void {
  if (!tracing.isEnabled) return;
  const spans = new WeakMap<FastifyRequest, { span: Span; ctx: Context }>();
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
    spans.set(request, { span, ctx: tracing.contextWith(parent, span) });
    // The request's own logger (the error handler's) carries the ids too: it runs outside the handler.
    const { traceId, spanId } = span.spanContext();
    request.log = request.log.child({ trace_id: traceId, span_id: spanId });
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = spans.get(request);
    if (!entry) return;
    spans.delete(request);
    entry.span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) {
      entry.span.setAttribute('error.type', String(reply.statusCode));
      entry.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    entry.span.end();
  });
  app.addHook('onRoute', (route) => {
    const handler = route.handler as RouteHandlerMethod;
    route.handler = function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const entry = spans.get(request);
      return entry ? tracing.runIn(entry.ctx, () => handler.call(this, request, reply)) : handler.call(this, request, reply);
    };
  });
}
