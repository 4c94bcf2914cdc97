import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { loadTracingConfig } from './tracing-config.js';

describe('loadTracingConfig', () => {
  it('is off when nothing names an exporter or an endpoint, with the standard defaults', () => {
    const c = loadTracingConfig({});
    expect(c.isEnabled).toBe(false);
    expect(c).toMatchObject({
      serviceName: 'orra-engine',
      endpoint: 'http://localhost:4318/v1/traces',
      protocol: 'http/protobuf',
      timeoutMs: 10_000,
      sampler: 'parentbased_always_on',
      propagators: ['tracecontext', 'baggage'],
      batch: { scheduleDelayMs: 5_000, exportTimeoutMs: 30_000, maxQueueSize: 2_048, maxExportBatchSize: 512 },
    });
  });

  it('turns on with an endpoint, appending /v1/traces to the base URL and taking the traces URL verbatim', () => {
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      isEnabled: true,
      exporters: ['otlp'],
      endpoint: 'http://collector:4318/v1/traces',
    });
    expect(
      loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/otlp/traces' }).endpoint,
    ).toBe('https://b/otlp/traces');
    expect(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ isEnabled: true, exporters: ['console'] });
  });

  it('stays off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, whatever else is set', () => {
    expect(loadTracingConfig({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).isEnabled).toBe(false);
    expect(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).isEnabled).toBe(false);
  });

  it('reads headers, resource attributes, service name, sampler and propagators', () => {
    const c = loadTracingConfig({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b,x=1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x=2',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment=prod',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_PROPAGATORS: 'none',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect(c).toMatchObject({
      headers: { 'api-key': 'a b', x: '2' },
      resourceAttributes: { 'deployment.environment': 'prod' },
      serviceName: 'from-resource',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      propagators: [],
      protocol: 'http/json',
    });
    expect(loadTracingConfig({ OTEL_SERVICE_NAME: 'svc', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' }).serviceName).toBe('svc');
  });

  it.each([
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    [{ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED'],
    [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER'],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG'],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '0' }, 'OTEL_BSP_MAX_QUEUE_SIZE'],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' }, 'OTEL_EXPORTER_OTLP_TIMEOUT'],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, 'OTEL_EXPORTER_OTLP_HEADERS'],
    [{ OTEL_PROPAGATORS: 'b3' }, 'OTEL_PROPAGATORS'],
  ])('refuses %j with a ConfigError naming %s', (env, name) => {
    expect(() => loadTracingConfig(env)).toThrow(ConfigError);
    expect(() => loadTracingConfig(env)).toThrow(new RegExp(`^invalid configuration ${name} \\(environment\\): `));
  });
});
