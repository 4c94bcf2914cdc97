import type { ExportResult } from '@opentelemetry/core';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Counter, type Registry } from 'prom-client';

/** `ExportResultCode.SUCCESS`, without loading the SDK's core package into an engine that does not trace. */
const EXPORT_SUCCESS = 0;

/**
 * Counts spans that never reach the collector, as `orra_otel_spans_dropped_total`: those in a batch whose
 * export failed (the collector answered an error, timed out or is gone; the OTLP exporter has already
 * retried what the protocol says to retry), and those the batch processor refused because its queue was
 * full. The SDK exposes neither count, so the exporter and the processor are wrapped: `queued` follows
 * the processor's queue (spans in, minus spans handed to the exporter).
 */
export class SpanDropCounter {
  private readonly counter: Counter;
  private queued = 0;

  constructor(registry: Registry) {
    this.counter = new Counter({
      name: 'orra_otel_spans_dropped_total',
      help: 'Trace spans dropped: their export failed or the export queue was full.',
      registers: [registry],
    });
  }

  wrapExporter(exporter: SpanExporter): SpanExporter {
    return {
      export: (spans: ReadableSpan[], done: (result: ExportResult) => void) => {
        this.queued = Math.max(0, this.queued - spans.length);
        exporter.export(spans, (result) => {
          if (result.code !== EXPORT_SUCCESS) this.counter.inc(spans.length);
          done(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
  }

  wrapProcessor(processor: SpanProcessor, maxQueueSize: number): SpanProcessor {
    return {
      onStart: (span: Span, parent: Context) => processor.onStart(span, parent),
      onEnd: (span: ReadableSpan) => {
        // Unsampled spans never enter the queue.
        if ((span.spanContext().traceFlags & 1) === 1) {
          if (this.queued >= maxQueueSize) this.counter.inc();
          else this.queued += 1;
        }
        processor.onEnd(span);
      },
      forceFlush: () => processor.forceFlush(),
      shutdown: () => processor.shutdown(),
    };
  }
}
