import type { TextMapPropagator } from '@opentelemetry/api';
import type * as SdkTraceBaseModule from '@opentelemetry/sdk-trace-base';
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TracingConfig } from '../config/tracing-config.js';
import type { Logger } from '../logging/logger.js';
import { SpanRecorder } from './span-recorder.js';
import { Tracing, type AnchorReader } from './tracing.js';
import type { SpanDropCounter } from './span-drop-counter.js';

export interface CreateTracingOptions {
  readAnchor: AnchorReader;
  /** The engine's version, as `service.version`. */
  serviceVersion: string;
  /** Counts spans that never reached the collector (`orra_otel_spans_dropped_total`). */
  dropCounter: SpanDropCounter;
  log: Logger;
  /**
   * Export to this exporter instead of the configured ones, each span as it ends (tests: an
   * InMemorySpanExporter per engine, rather than a process-wide provider, so engines in one process
   * keep their spans apart).
   */
  exporter?: SpanExporter;
}

/**
 * Builds the engine's Tracing. Off (no SDK loaded at all) unless the configuration turns it on or an
 * exporter is given; the SDK, the OTLP exporters and the propagators are imported here, dynamically, so
 * an engine that does not trace never loads them. The provider is the engine's own, not registered
 * globally (nor a propagator or a context manager): an application that embeds the engine keeps its
 * own. Span contexts are passed explicitly (Tracing.plan says why).
 */
export async function createTracing(config: TracingConfig, options: CreateTracingOptions): Promise<Tracing> {
  if (!config.isEnabled && !options.exporter) return Tracing.off();
  const [sdk, core, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
  ]);

  const processors: SpanProcessor[] = [];
  if (options.exporter) {
    processors.push(new sdk.SimpleSpanProcessor(options.exporter));
  } else {
    for (const name of config.exporters) {
      const exporter = name === 'console' ? new sdk.ConsoleSpanExporter() : await otlpExporter(config);
      const counted = options.dropCounter.wrapExporter(exporter);
      const batch = new sdk.BatchSpanProcessor(counted, {
        scheduledDelayMillis: config.batch.scheduleDelayMs,
        exportTimeoutMillis: config.batch.exportTimeoutMs,
        maxQueueSize: config.batch.maxQueueSize,
        maxExportBatchSize: Math.min(config.batch.maxExportBatchSize, config.batch.maxQueueSize),
      });
      processors.push(options.dropCounter.wrapProcessor(batch, config.batch.maxQueueSize));
    }
  }
  const resource = resources.resourceFromAttributes({
    ...config.resourceAttributes,
    'service.name': config.serviceName,
    'service.version': options.serviceVersion,
  });
  const chosenSampler = sampler(config, sdk);
  const provider = new sdk.BasicTracerProvider({ resource, sampler: chosenSampler, spanProcessors: processors });
  const tracer = provider.getTracer('orra-engine', options.serviceVersion);
  // The engine's own spans skip the SDK's Tracer (span-recorder.ts says why) but go to the same
  // processors, with the same resource and scope, so they share batches with the SDK's.
  const recorder = new SpanRecorder({
    processor: processors.length === 1 ? processors[0]! : fanOut(processors),
    sampler: chosenSampler,
    resource,
    scope: (tracer as { instrumentationScope?: { name: string; version?: string } }).instrumentationScope ?? {
      name: 'orra-engine',
      version: options.serviceVersion,
    },
  });
  const propagators: TextMapPropagator[] = config.propagators.map((p) =>
    p === 'baggage' ? new core.W3CBaggagePropagator() : new core.W3CTraceContextPropagator(),
  );
  options.log.info(
    { exporters: options.exporter ? ['injected'] : config.exporters, endpoint: config.endpoint, protocol: config.protocol },
    'tracing on',
  );
  return Tracing.on({
    tracer,
    recorder,
    propagator: new core.CompositePropagator({ propagators }),
    isPropagating: config.propagators.includes('tracecontext'),
    readAnchor: options.readAnchor,
    shutdown: () => provider.shutdown(),
  });
}

async function otlpExporter(config: TracingConfig): Promise<SpanExporter> {
  const options = { url: config.endpoint, headers: { ...config.headers }, timeoutMillis: config.timeoutMs };
  if (config.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter(options);
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter(options);
}

type SdkTraceBase = typeof SdkTraceBaseModule;

/** Several processors as one (as the provider combines them for its own spans). */
function fanOut(processors: SpanProcessor[]): SpanProcessor {
  return {
    onStart: (span, parent) => processors.forEach((p) => p.onStart(span, parent)),
    onEnd: (span) => processors.forEach((p) => p.onEnd(span)),
    forceFlush: async () => void (await Promise.all(processors.map((p) => p.forceFlush()))),
    shutdown: async () => void (await Promise.all(processors.map((p) => p.shutdown()))),
  };
}

function sampler(config: TracingConfig, sdk: SdkTraceBase): Sampler {
  const root = (name: string): Sampler =>
    name.endsWith('always_off')
      ? new sdk.AlwaysOffSampler()
      : name.endsWith('traceidratio')
        ? new sdk.TraceIdRatioBasedSampler(config.samplerRatio)
        : new sdk.AlwaysOnSampler();
  return config.sampler.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root: root(config.sampler) }) : root(config.sampler);
}

