import type * as OtelApiModule from '@opentelemetry/api';
import type { Logger } from './logger.js';

/**
 * The part of an OpenTelemetry `Tracer` the SDK uses: pass `trace.getTracer('my-service')` from
 * `@opentelemetry/api` as `initService({ tracer })`. Typed structurally so that services without
 * OpenTelemetry need none of its packages, not even for their types.
 */
export interface TracerLike {
  startSpan(name: string, options?: Record<string, unknown>, context?: unknown): SpanLike;
}

/** The part of an OpenTelemetry `Span` the SDK uses. */
export interface SpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** Runs a handler, inside a span when the service has a tracer. */
export type RunTraced = (
  request: { id: string; executionId: string; serviceId: string; traceparent?: unknown; tracestate?: unknown },
  kind: 'task' | 'compensation',
  run: () => unknown,
) => Promise<unknown>;

type OtelApi = typeof OtelApiModule;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** `SpanKind.SERVER` and `SpanStatusCode.ERROR`, fixed by the OpenTelemetry API. */
const SERVER = 1;
const ERROR = 2;

/**
 * With a tracer, each handler runs inside a `handle_task {service}` (or `handle_compensation
 * {service}`) span whose parent is the engine's attempt span, from the request's `traceparent`, and which
 * is active while the handler runs (spans the handler starts hang under it). `@opentelemetry/api` is
 * imported only then: a service that uses a tracer has it. Without a tracer, handlers simply run; the
 * task still carries `traceparent` for handlers that propagate it themselves.
 */
export function handlerTracing(tracer: TracerLike | undefined, serviceName: string, logger: Logger): RunTraced {
  if (!tracer) return async (_request, _kind, run) => run();
  let api: Promise<OtelApi | undefined> | undefined;
  const load = () =>
    (api ??= import('@opentelemetry/api').then(
      (m) => m,
      (err: unknown) => {
        logger.warn('tracer given but @opentelemetry/api cannot be loaded; handlers run without spans', {
          error: err instanceof Error ? err.message : String(err),
        });
        return undefined;
      },
    ));
  return async (request, kind, run) => {
    const otel = await load();
    if (!otel) return run();
    const match = typeof request.traceparent === 'string' ? TRACEPARENT.exec(request.traceparent) : null;
    const parent = match
      ? otel.trace.setSpanContext(otel.ROOT_CONTEXT, {
          traceId: match[1]!,
          spanId: match[2]!,
          traceFlags: parseInt(match[3]!, 16),
          isRemote: true,
          ...(typeof request.tracestate === 'string' ? { traceState: otel.createTraceState(request.tracestate) } : {}),
        })
      : otel.context.active();
    const span = tracer.startSpan(
      `handle_${kind} ${serviceName}`,
      {
        kind: SERVER,
        attributes: { 'orra.task.id': request.id, 'orra.task.execution_id': request.executionId, 'orra.service.id': request.serviceId },
      },
      parent,
    );
    try {
      return await otel.context.with(otel.trace.setSpan(parent, span as never), run);
    } catch (err) {
      span.setAttribute('error.type', err instanceof Error ? err.name : 'error');
      span.setStatus({ code: ERROR });
      throw err;
    } finally {
      span.end();
    }
  };
}
