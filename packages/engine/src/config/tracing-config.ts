import { ConfigError } from './config.js';

/**
 * OpenTelemetry tracing settings, read from the standard `OTEL_*` variables only (no engine-specific knobs:
 * a team's collector set-up works unchanged). Tracing stays off unless an exporter or an OTLP endpoint is
 * named; `OTEL_SDK_DISABLED=true` turns it off whatever else is set. Listed in docs/config.md and
 * docs/tracing.md. Like config.ts, this is a module that reads the environment; the SDK itself is given
 * explicit options, so it reads nothing behind our back that these rules do not describe.
 */
export interface TracingConfig {
  isEnabled: boolean;
  exporters: readonly ('otlp' | 'console')[];
  serviceName: string;
  resourceAttributes: Readonly<Record<string, string>>;
  /** The full traces URL (`…/v1/traces`). */
  endpoint: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  sampler: (typeof SAMPLERS)[number];
  samplerRatio: number;
  propagators: readonly ('tracecontext' | 'baggage')[];
  batch: Readonly<{ scheduleDelayMs: number; exportTimeoutMs: number; maxQueueSize: number; maxExportBatchSize: number }>;
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

const DEFAULT_ENDPOINT = 'http://localhost:4318';

/** The configuration of an engine that does not trace. */
export const TRACING_OFF: TracingConfig = loadTracingConfig({});

/** Reads the OpenTelemetry variables, or throws a ConfigError naming the variable and the bad value. */
export function loadTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const isDisabled = parseBool(get('OTEL_SDK_DISABLED'), 'OTEL_SDK_DISABLED');
  const exporterText = get('OTEL_TRACES_EXPORTER');
  const named = exporterText?.split(',').map((s) => s.trim().toLowerCase()) ?? [];
  for (const e of named) {
    if (!['otlp', 'console', 'none'].includes(e)) {
      throw new ConfigError(
        `invalid configuration OTEL_TRACES_EXPORTER (environment): "${e}" is not supported; use otlp, console or none`,
      );
    }
  }
  const tracesEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  // As the specification says: the signal-specific URL is used verbatim, the base one gets /v1/traces.
  const endpoint = tracesEndpoint ?? `${(baseEndpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  for (const [name, url] of [
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', baseEndpoint],
  ] as const) {
    if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) {
      throw new ConfigError(`invalid configuration ${name} (environment): expected an http:// or https:// URL, got "${url}"`);
    }
  }
  const exporters = (named.length > 0 ? named : tracesEndpoint || baseEndpoint ? ['otlp'] : []).filter(
    (e): e is 'otlp' | 'console' => e !== 'none',
  );
  const protocolName = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = get(protocolName) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(
      `invalid configuration ${protocolName} (environment): "${protocol}" is not supported; use http/protobuf or http/json`,
    );
  }
  const resourceAttributes = parsePairs(get('OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES');
  const sampler = (get('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(sampler)) {
    throw new ConfigError(`invalid configuration OTEL_TRACES_SAMPLER (environment): "${sampler}" is not one of ${SAMPLERS.join(', ')}`);
  }
  const samplerRatio = sampler.endsWith('traceidratio') ? parseNumber(get('OTEL_TRACES_SAMPLER_ARG') ?? '1', 'OTEL_TRACES_SAMPLER_ARG', 0, 1) : 1;
  const propagators = (get('OTEL_PROPAGATORS') ?? 'tracecontext,baggage').split(',').map((s) => s.trim().toLowerCase());
  for (const p of propagators) {
    if (!['tracecontext', 'baggage', 'none'].includes(p)) {
      throw new ConfigError(`invalid configuration OTEL_PROPAGATORS (environment): "${p}" is not supported; use tracecontext, baggage or none`);
    }
  }
  const timeoutName = get('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT';
  const int = (name: string, fallback: number, min: number) => parseNumber(get(name) ?? String(fallback), name, min, Number.MAX_SAFE_INTEGER, true);
  return Object.freeze({
    isEnabled: !isDisabled && exporters.length > 0,
    exporters: Object.freeze([...new Set(exporters)]),
    serviceName: get('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? 'orra-engine',
    resourceAttributes: Object.freeze(resourceAttributes),
    endpoint,
    protocol,
    headers: Object.freeze({
      ...parsePairs(get('OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...parsePairs(get('OTEL_EXPORTER_OTLP_TRACES_HEADERS'), 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    }),
    timeoutMs: int(timeoutName, 10_000, 1),
    sampler: sampler as TracingConfig['sampler'],
    samplerRatio,
    propagators: Object.freeze(propagators.filter((p): p is 'tracecontext' | 'baggage' => p !== 'none')),
    batch: Object.freeze({
      scheduleDelayMs: int('OTEL_BSP_SCHEDULE_DELAY', 5_000, 0),
      exportTimeoutMs: int('OTEL_BSP_EXPORT_TIMEOUT', 30_000, 1),
      maxQueueSize: int('OTEL_BSP_MAX_QUEUE_SIZE', 2_048, 1),
      maxExportBatchSize: int('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1),
    }),
  });
}

function parseBool(text: string | undefined, name: string): boolean {
  if (text === undefined) return false;
  const v = text.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(`invalid configuration ${name} (environment): expected true or false, got "${text}"`);
}

function parseNumber(text: string, name: string, min: number, max: number, isInteger = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max || (isInteger && !Number.isInteger(n))) {
    const kind = isInteger ? 'an integer' : 'a number';
    throw new ConfigError(`invalid configuration ${name} (environment): expected ${kind} from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, got "${text}"`);
  }
  return n;
}

/** `key1=value1,key2=value2` with percent-encoded values (W3C Baggage style), as the OTLP variables use. */
function parsePairs(text: string | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined) return out;
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (key === '') throw new ConfigError(`invalid configuration ${name} (environment): expected key=value pairs separated by commas`);
    try {
      out[key] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(`invalid configuration ${name} (environment): the value of "${key}" is not valid percent-encoding`);
    }
  }
  return out;
}
