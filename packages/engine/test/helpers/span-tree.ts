/**
 * Spans as the tests compare them, whether they came from an in-memory exporter or were decoded from
 * OTLP (JSON or protobuf) by the test receiver.
 */
export interface SpanView {
  name: string;
  /** OTLP numbering: 1 internal, 2 server, 3 client. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  /** OTLP numbering: 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

export const KIND = { internal: 1, server: 2, client: 3 } as const;

interface ReadableSpanLike {
  name: string;
  kind: number;
  spanContext(): { traceId: string; spanId: string };
  parentSpanContext?: { spanId: string } | undefined;
  startTime: [number, number];
  endTime: [number, number];
  attributes: Record<string, unknown>;
  links: { context: { traceId: string; spanId: string } }[];
  status: { code: number };
}

const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

/** An SDK ReadableSpan as a SpanView (the API's SpanKind counts from 0 = internal). */
export function viewOf(span: ReadableSpanLike): SpanView {
  return {
    name: span.name,
    kind: span.kind + 1,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    startMs: ms(span.startTime),
    endMs: ms(span.endTime),
    attributes: { ...span.attributes },
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
    statusCode: span.status.code,
  };
}

/** Every attribute value of every span, as text: none may contain a task's input or output. */
export function allAttributeText(spans: SpanView[]): string {
  return JSON.stringify(spans.map((s) => [s.name, s.attributes]));
}
