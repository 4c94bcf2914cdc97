import {
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';

/** The part of a span the engine's own spans need: set attributes and status, end (at a time, in ms). */
export interface RecordedSpan {
  spanContext(): SpanContext;
  setAttribute(key: string, value: AttributeValue): unknown;
  setStatus(status: SpanStatus): unknown;
  end(endMs?: number): void;
}

/** Where recorded spans go: the SDK's span processors, sampler, resource and scope (create-tracing.ts). */
export interface SpanSink {
  processor: SpanProcessor;
  sampler: Sampler;
  resource: Resource;
  scope: InstrumentationScope;
}

/** `SamplingDecision.RECORD_AND_SAMPLED` of the SDK, without loading it into an untraced engine. */
const RECORD_AND_SAMPLED = 2;
const SAMPLED = 1;
const NO_EVENTS: TimedEvent[] = [];
const NO_LINKS: Link[] = [];
const ZERO: HrTime = [0, 0];

/**
 * Records the engine's own spans (the orchestration anchor, resume and run spans, and each task and
 * compensation attempt) straight into the SDK's span processors, as `ReadableSpan`s, instead of through
 * the SDK's `Tracer`: per span that `Tracer` sanitises attributes we build ourselves, runs its
 * self-observability counters, converts times through the performance clock and wraps the parent in
 * contexts, which together cost the engine more than a quarter of a task's CPU time at 100 % sampling
 * (bench/README.md). What reaches the exporters is the same: the configured sampler decides, the span
 * processors (batch, drop counter) and the OTLP exporters are the SDK's. Spans of other kinds (HTTP,
 * planning, webhook deliveries) still go through the SDK's `Tracer`.
 */
export class SpanRecorder {
  constructor(private readonly sink: SpanSink) {}

  /**
   * Starts a span under `parent` (a new trace when it has none) at `startMs` (epoch ms). `parentContext`
   * is `parent` as a Context when the caller has one at hand (the sampler takes a Context).
   */
  start(
    name: string,
    kind: SpanKind,
    parent: SpanContext | undefined,
    startMs: number,
    attributes: Attributes,
    links: Link[] = NO_LINKS,
    parentContext?: Context,
  ): RecordedSpan {
    const isChild = parent !== undefined && isSpanContextValid(parent);
    const traceId = isChild ? parent.traceId : newTraceId();
    const context = parentContext ?? (isChild ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT);
    const sampling = this.sink.sampler.shouldSample(context, traceId, name, kind, attributes, links);
    const traceState = sampling.traceState ?? (isChild ? parent.traceState : undefined);
    const isSampled = sampling.decision === RECORD_AND_SAMPLED;
    const spanContext: SpanContext = {
      traceId,
      spanId: newSpanId(),
      traceFlags: isSampled ? SAMPLED : 0,
      ...(traceState ? { traceState } : {}),
    };
    // Not sampled: nothing is recorded, only the context travels on (as the SDK's NonRecordingSpan).
    if (!isSampled) return new UnrecordedSpan(spanContext);
    if (sampling.attributes) attributes = { ...attributes, ...sampling.attributes };
    const span = new EngineSpan(this.sink, name, kind, spanContext, isChild ? parent : undefined, startMs, attributes, links);
    this.sink.processor.onStart(span as never, context);
    return span;
  }
}

/** A sampled span of the engine's, handed to the span processors as a ReadableSpan when it ends. */
class EngineSpan implements ReadableSpan, RecordedSpan {
  readonly startTime: HrTime;
  endTime: HrTime = ZERO;
  duration: HrTime = ZERO;
  ended = false;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly events = NO_EVENTS;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  /** performance.now() at the start: ends without a given time add the time elapsed since to startMs. */
  private readonly startedAt = performance.now();

  constructor(
    private readonly sink: SpanSink,
    readonly name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    private readonly startMs: number,
    readonly attributes: Attributes,
    readonly links: Link[],
  ) {
    this.startTime = hrTime(startMs);
    this.resource = sink.resource;
    this.instrumentationScope = sink.scope;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended) (this.attributes as Record<string, AttributeValue>)[key] = value;
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.ended) this.status = status;
    return this;
  }

  end(endMs?: number): void {
    if (this.ended) return;
    const end = Math.max(this.startMs, endMs ?? this.startMs + (performance.now() - this.startedAt));
    this.endTime = hrTime(end);
    this.duration = hrTime(end - this.startMs);
    this.ended = true;
    this.sink.processor.onEnd(this);
  }
}

class UnrecordedSpan implements RecordedSpan {
  constructor(private readonly context: SpanContext) {}
  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  end(): void {}
}

/** Epoch (or duration) milliseconds as OpenTelemetry's [seconds, nanoseconds]. */
function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

/**
 * Random ids as the SDK's own generator makes them (Math.random, not a cryptographic source: trace ids
 * identify, they do not protect), four bytes at a time, without a Buffer.
 */
function randomHex(words: number): string {
  let hex = '';
  for (let i = 0; i < words; i++) {
    const n = (Math.random() * 0x1_0000_0000) >>> 0;
    hex += HEX[n >>> 24]! + HEX[(n >>> 16) & 0xff]! + HEX[(n >>> 8) & 0xff]! + HEX[n & 0xff]!;
  }
  return hex;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function newSpanId(): string {
  const id = randomHex(2);
  return id === '0000000000000000' ? newSpanId() : id; // all zeros is the invalid id
}

function newTraceId(): string {
  const id = randomHex(4);
  return id === '00000000000000000000000000000000' ? newTraceId() : id;
}
