import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { CompensationRecord } from '../storage/compensation-records.js';
import type { OrchestrationRecord, TaskRecord } from '../storage/records.js';
import type { RecordedSpan, SpanRecorder } from './span-recorder.js';
import { contextOf, parseTraceContext, serializeTraceContext, type StoredTraceContext } from './trace-context-text.js';

/** What an attempt adds to the message sent to a service: its span's W3C context (nothing when off). */
export type TraceFields = Partial<StoredTraceContext>;

/** How an attempt ended, as `orra.task.result` / `orra.compensation.result`. */
export type AttemptResult =
  | 'completed'
  | 'partial'
  | 'failed'
  | 'timeout'
  | 'interrupted'
  | 'superseded'
  | 'aborted'
  | 'abandoned'
  | 'expired';

/**
 * One traced unit of work below a span (planning): the fields its log lines carry, and client spans
 * for what it calls out to (an LLM).
 */
export interface TraceScope {
  /** `trace_id` and `span_id` of the scope's span; empty when not traced. */
  logFields: Readonly<Record<string, string>>;
  /** Runs `fn` under a client span, a child of the scope's; `after` adds attributes from its result. */
  client<T>(name: string, attributes: Attributes, fn: () => Promise<T>, after?: (result: T) => Attributes): Promise<T>;
}

/** Reads an orchestration's stored trace context (for deliveries whose orchestration is not in memory). */
export type AnchorReader = (orchestrationId: string) => Promise<string | null | undefined>;

/** One webhook delivery attempt's span: the headers to send, and how to end it. */
export interface WebhookAttemptTrace {
  headers: Record<string, string>;
  /** `kind` is the attempt's outcome (`success`, `http_error`, `timeout`, `network_error`, `refused`). */
  end(outcome: { kind: string; httpStatus: number | null }): void;
  /** `trace_id`/`span_id` of the attempt's span, for its log lines (empty when not traced). */
  logFields: Readonly<Record<string, string>>;
}

export interface TracingParts {
  tracer: Tracer;
  /** Records the engine's own spans (anchor, resume, run, attempts) straight into the span processors. */
  recorder: SpanRecorder;
  propagator: TextMapPropagator;
  /** True when `traceparent` goes to services and webhook receivers (OTEL_PROPAGATORS has tracecontext). */
  isPropagating: boolean;
  readAnchor: AnchorReader;
  /** Exports what is queued, then stops the SDK; bounded by the caller. */
  shutdown(): Promise<void>;
}

/** Most in-flight anchors kept for deliveries and compensations; older ones are read from storage. */
const ANCHOR_CACHE_SIZE = 1_000;

/** An orchestration's stored anchor, parsed once for all the spans that hang under it. */
interface Anchor {
  text: string;
  spanContext: SpanContext | undefined;
  context: Context;
}

const NO_FIELDS: TraceFields = Object.freeze({});
/** A webhook attempt that is not traced: no headers, nothing to end. */
export const UNTRACED_WEBHOOK: WebhookAttemptTrace = Object.freeze({ headers: Object.freeze({}) as Record<string, string>, end: () => {}, logFields: Object.freeze({}) });
const UNTRACED_SCOPE: TraceScope = Object.freeze({ logFields: Object.freeze({}), client: <T>(_n: string, _a: Attributes, fn: () => Promise<T>) => fn() });

/**
 * The engine's tracing, over `@opentelemetry/api` only (the SDK is loaded by create-tracing.ts when
 * tracing is configured). Every orchestration gets an `orchestration.start` span that ends at once and
 * is stored with it; all its later spans hang under that one, so no span ever points at a parent still
 * open (or never exported). The runners call in at the points where an attempt starts and ends; when
 * tracing is off every call returns at its first line.
 */
export class Tracing {
  /**
   * Attempt spans still open: one per task or compensation in flight, so this is bounded by the work.
   * Tasks' by orchestration id, then task id (the records' own strings: no key is built per attempt).
   */
  private readonly openTasks = new Map<string, Map<string, RecordedSpan>>();
  /** Compensation attempt spans still open, by compensation id. */
  private readonly openCompensations = new Map<string, RecordedSpan>();
  /** Orchestration id → its stored anchor, most recent last. */
  private readonly anchors = new Map<string, Anchor>();

  private constructor(private readonly parts: TracingParts | undefined) {}

  /** Tracing that records nothing and adds nothing to any message. */
  static off(): Tracing {
    return new Tracing(undefined);
  }

  static on(parts: TracingParts): Tracing {
    return new Tracing(parts);
  }

  get isEnabled(): boolean {
    return this.parts !== undefined;
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  /** The caller's context from request headers (traceparent/tracestate/baggage per OTEL_PROPAGATORS). */
  extract(headers: Record<string, unknown>): Context {
    if (!this.parts) return ROOT_CONTEXT;
    return this.parts.propagator.extract(ROOT_CONTEXT, headers, {
      keys: (carrier) => Object.keys(carrier),
      get: (carrier, key) => {
        const v = carrier[key];
        return typeof v === 'string' || Array.isArray(v) ? (v as string | string[]) : undefined;
      },
    });
  }

  /** Starts a span (the HTTP server span); undefined when off. */
  startSpan(name: string, kind: SpanKind, attributes: Attributes, parent: Context = ROOT_CONTEXT): Span | undefined {
    return this.parts?.tracer.startSpan(name, { kind, attributes }, parent);
  }

  /** `parent` with `span` as its span: what children of `span` are started in. */
  contextWith(parent: Context, span: Span): Context {
    return trace.setSpan(parent, span);
  }

  /**
   * Runs the planner under an `orchestration.plan` span, a child of `parent` (the request's). Contexts
   * are passed explicitly rather than through an AsyncLocalStorage context manager: on Node 20 enabling
   * one puts a hook on every promise, which cost ~15 % of the engine's per-task time (bench/README.md).
   */
  async plan<T>(projectId: string, parent: Context | undefined, fn: (scope: TraceScope) => Promise<T>): Promise<T> {
    const span = this.startSpan('orchestration.plan', SpanKind.INTERNAL, { 'orra.project.id': projectId }, parent ?? context.active());
    if (!span) return fn(UNTRACED_SCOPE);
    const ctx = trace.setSpan(parent ?? context.active(), span);
    const { traceId, spanId } = span.spanContext();
    const scope: TraceScope = {
      logFields: { trace_id: traceId, span_id: spanId },
      client: async (name, attributes, run, after) => {
        const child = this.parts!.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, ctx);
        try {
          const result = await run();
          if (after) child.setAttributes(after(result));
          return result;
        } catch (err) {
          markError(child, err instanceof Error ? err.name : 'error');
          throw err;
        } finally {
          child.end();
        }
      },
    };
    try {
      return await fn(scope);
    } catch (err) {
      markError(span, err instanceof Error ? err.name : 'error');
      throw err;
    } finally {
      span.end();
    }
  }

  // ---- orchestrations -----------------------------------------------------------------------------

  /**
   * The `orchestration.start` anchor, a child of `parent` (the request's span), ended at once so it is
   * exported with the next batch. Returns its context for storage with the orchestration (null when off).
   */
  startOrchestration(record: Pick<OrchestrationRecord, 'id' | 'projectId' | 'createdAt'>, parent?: Context): string | null {
    if (!this.parts) return null;
    const parentContext = parent ?? context.active();
    const span = this.parts.recorder.start(
      'orchestration.start',
      SpanKind.INTERNAL,
      trace.getSpanContext(parentContext),
      record.createdAt,
      orchestrationAttributes(record),
      undefined,
      parentContext,
    );
    span.end(record.createdAt);
    const text = serializeTraceContext(span.spanContext());
    this.remember(record.id, text, span.spanContext());
    return text;
  }

  /** An `orchestration.resume` span marks that another process (or a restarted one) carries on. */
  resumed(record: OrchestrationRecord, at: number): void {
    if (!this.parts || !record.traceContext) return;
    const anchor = this.anchorOf(record.id, record.traceContext);
    const span = this.parts.recorder.start('orchestration.resume', SpanKind.INTERNAL, anchor.spanContext, at, orchestrationAttributes(record), undefined, anchor.context);
    span.end(at);
  }

  /** The closing `orchestration.run` span: from the stored creation time to the final state. */
  ended(record: OrchestrationRecord): void {
    if (!this.parts || !record.traceContext) return;
    const anchor = this.anchorOf(record.id, record.traceContext);
    const span = this.parts.recorder.start(
      'orchestration.run',
      SpanKind.INTERNAL,
      anchor.spanContext,
      record.createdAt,
      { 'orra.project.id': record.projectId, 'orra.orchestration.id': record.id, 'orra.orchestration.result': record.status },
      undefined,
      anchor.context,
    );
    if (record.status !== 'completed') markError(span, `orchestration_${record.status}`);
    span.end(Math.max(record.updatedAt, record.createdAt));
    // Tasks still out are abandoned with their orchestration.
    const open = this.openTasks.get(record.id);
    this.openTasks.delete(record.id);
    for (const attempt of open?.values() ?? []) {
      attempt.setAttribute('orra.task.result', 'abandoned');
      attempt.end();
    }
  }

  // ---- task attempts ------------------------------------------------------------------------------

  /**
   * One `execute_task {service}` span per attempt, under the anchor. Stores the attempt's context on the
   * task (for the link from its compensation) and returns it for the `task_request`. `now` is when the
   * attempt starts; time paused waiting for a healthy service becomes `orra.task.queue_delay_ms`.
   */
  taskAttemptStarted(record: OrchestrationRecord, task: TaskRecord, executionId: string, now: number): TraceFields {
    if (!this.parts || !record.traceContext) return NO_FIELDS;
    let open = this.openTasks.get(task.orchestrationId);
    if (!open) this.openTasks.set(task.orchestrationId, (open = new Map()));
    endAttempt(open, task.taskId, 'orra.task.result', 'superseded');
    const anchor = this.anchorOf(record.id, record.traceContext);
    const span = this.parts.recorder.start(
      `execute_task ${task.serviceName}`,
      SpanKind.CLIENT,
      anchor.spanContext,
      now,
      {
        'orra.project.id': record.projectId,
        'orra.orchestration.id': record.id,
        'orra.task.id': task.taskId,
        'orra.task.execution_id': executionId,
        'orra.task.attempt': task.attempts,
        'orra.task.queue_delay_ms': task.pausedSince !== null ? Math.max(0, now - task.pausedSince) : 0,
        'orra.service.id': task.serviceId,
        'orra.service.name': task.serviceName,
      },
      undefined,
      anchor.context,
    );
    open.set(task.taskId, span);
    const w3c = toW3c(span.spanContext());
    task.traceContext = storedText(w3c);
    return this.parts.isPropagating ? w3c : NO_FIELDS;
  }

  /** Ends the task's open attempt span (if any) with its result; `errorType` marks it as an error. */
  taskAttemptEnded(task: Pick<TaskRecord, 'orchestrationId' | 'taskId'>, result: AttemptResult, errorType?: string): void {
    if (!this.parts) return;
    const open = this.openTasks.get(task.orchestrationId);
    if (!open) return;
    endAttempt(open, task.taskId, 'orra.task.result', result, errorType);
    if (open.size === 0) this.openTasks.delete(task.orchestrationId);
  }

  // ---- compensations ------------------------------------------------------------------------------

  /** What a compensation stores: the anchor (its parent) and the attempt that completed the task (its link). */
  compensationContext(record: OrchestrationRecord, task: TaskRecord): string | null {
    if (!this.parts || !record.traceContext) return null;
    return JSON.stringify({ anchor: record.traceContext, undoes: task.traceContext ?? null });
  }

  /** One `compensate {service}` span per attempt, linked to the `execute_task` attempt it undoes. */
  compensationAttemptStarted(r: CompensationRecord, now: number): TraceFields {
    if (!this.parts || !r.traceContext) return NO_FIELDS;
    let stored: { anchor?: string; undoes?: string | null };
    try {
      stored = JSON.parse(r.traceContext) as typeof stored;
    } catch {
      return NO_FIELDS;
    }
    const undoes = parseTraceContext(stored.undoes);
    const links: Link[] = undoes ? [{ context: undoes, attributes: { 'orra.link.kind': 'undoes' } }] : [];
    endAttempt(this.openCompensations, r.id, 'orra.compensation.result', 'superseded');
    const anchor = parseTraceContext(stored.anchor);
    const span = this.parts.recorder.start(
      `compensate ${r.serviceName}`,
      SpanKind.CLIENT,
      anchor,
      now,
      {
        'orra.project.id': r.projectId,
        'orra.orchestration.id': r.orchestrationId,
        'orra.task.id': r.taskId,
        'orra.task.execution_id': r.executionId ?? '',
        'orra.compensation.attempt': r.attempts,
        'orra.service.id': r.serviceId,
        'orra.service.name': r.serviceName,
      },
      links,
    );
    this.openCompensations.set(r.id, span);
    return this.parts.isPropagating ? toW3c(span.spanContext()) : NO_FIELDS;
  }

  compensationAttemptEnded(r: Pick<CompensationRecord, 'id'>, result: AttemptResult, errorType?: string): void {
    if (!this.parts) return;
    endAttempt(this.openCompensations, r.id, 'orra.compensation.result', result, errorType);
  }

  // ---- webhooks -----------------------------------------------------------------------------------

  /**
   * One `webhook.deliver {event type}` span per attempt, under the anchor of the event's orchestration;
   * its `traceparent` goes out as a header (the body is never touched).
   */
  async webhookAttemptStarted(d: {
    eventId: string;
    eventType: string;
    endpointId: string;
    projectId: string;
    url: string;
    body: string;
    attempts: number;
  }): Promise<WebhookAttemptTrace> {
    if (!this.parts) return UNTRACED_WEBHOOK;
    const orchestrationId = orchestrationIdOf(d.body);
    const anchor = orchestrationId ? (this.anchors.get(orchestrationId)?.text ?? (await this.readAnchor(orchestrationId))) : undefined;
    const url = new URL(d.url);
    url.search = '';
    url.hash = '';
    url.username = '';
    url.password = '';
    const span = this.parts.tracer.startSpan(
      `webhook.deliver ${d.eventType}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'orra.project.id': d.projectId,
          ...(orchestrationId ? { 'orra.orchestration.id': orchestrationId } : {}),
          'orra.event.id': d.eventId,
          'orra.event.type': d.eventType,
          'orra.webhook.endpoint.id': d.endpointId,
          'orra.webhook.attempt': d.attempts + 1,
          'http.request.method': 'POST',
          'url.full': url.toString(),
        },
      },
      contextOf(anchor),
    );
    const headers: Record<string, string> = {};
    if (this.parts.isPropagating) this.parts.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, { set: (c, k, v) => (c[k] = v) });
    return {
      headers,
      logFields: { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId },
      end: ({ kind, httpStatus }) => {
        if (httpStatus !== null) span.setAttribute('http.response.status_code', httpStatus);
        // As the HTTP conventions say: the status code when the receiver answered, else what went wrong.
        if (kind !== 'success') markError(span, kind === 'http_error' && httpStatus !== null ? String(httpStatus) : kind);
        span.end();
      },
    };
  }

  // ---- life cycle ---------------------------------------------------------------------------------

  /** Ends spans still open (their work resumes on the next start) and exports, for at most `timeoutMs`. */
  async shutdown(timeoutMs = 5_000): Promise<void> {
    if (!this.parts) return;
    for (const open of this.openTasks.values()) {
      for (const span of open.values()) {
        span.setAttribute('orra.task.result', 'interrupted');
        span.end();
      }
    }
    this.openTasks.clear();
    for (const span of this.openCompensations.values()) {
      span.setAttribute('orra.compensation.result', 'interrupted');
      span.end();
    }
    this.openCompensations.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.parts.shutdown().catch(() => undefined),
      new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private remember(orchestrationId: string, text: string, spanContext = parseTraceContext(text)): Anchor {
    const anchor: Anchor = { text, spanContext, context: spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT };
    this.anchors.delete(orchestrationId);
    this.anchors.set(orchestrationId, anchor);
    if (this.anchors.size > ANCHOR_CACHE_SIZE) this.anchors.delete(this.anchors.keys().next().value!);
    return anchor;
  }

  /** The orchestration's anchor, parsed once while it is cached (not on every attempt). */
  private anchorOf(orchestrationId: string, text: string): Anchor {
    const cached = this.anchors.get(orchestrationId);
    return cached?.text === text ? cached : this.remember(orchestrationId, text);
  }

  private async readAnchor(orchestrationId: string): Promise<string | undefined> {
    try {
      const text = await this.parts?.readAnchor(orchestrationId);
      if (text) this.remember(orchestrationId, text);
      return text ?? undefined;
    } catch {
      return undefined; // a trace without its parent beats a delivery that waits for one
    }
  }
}

/** The W3C fields of a span context (what goes to a service), built without a JSON round trip. */
function toW3c(spanContext: SpanContext): StoredTraceContext {
  const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${spanContext.traceFlags & 1 ? '01' : '00'}`;
  const state = spanContext.traceState?.serialize();
  return state ? { traceparent, tracestate: state } : { traceparent };
}

/** As serializeTraceContext stores it: the same text, JSON.stringify only when there is a tracestate to escape. */
function storedText(w3c: StoredTraceContext): string {
  return w3c.tracestate === undefined ? `{"traceparent":"${w3c.traceparent}"}` : JSON.stringify(w3c);
}

function orchestrationAttributes(record: Pick<OrchestrationRecord, 'id' | 'projectId'>): Attributes {
  return { 'orra.project.id': record.projectId, 'orra.orchestration.id': record.id };
}

/** Ends the open attempt span under `key` (if any) with its result; `errorType` marks it as an error. */
function endAttempt(open: Map<string, RecordedSpan>, key: string, resultKey: string, result: AttemptResult, errorType?: string): void {
  const span = open.get(key);
  if (!span) return;
  open.delete(key);
  span.setAttribute(resultKey, result);
  if (errorType) markError(span, errorType);
  span.end();
}

function markError(span: Pick<Span, 'setAttribute' | 'setStatus'> | RecordedSpan, errorType: string): void {
  span.setAttribute('error.type', errorType);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** Orchestration events carry `orchestration_id` at the top level; other events belong to no orchestration. */
function orchestrationIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { orchestration_id?: unknown }).orchestration_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
