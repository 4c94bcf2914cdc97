import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject, type Api } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { OtlpReceiver } from './helpers/otlp-receiver.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { startService } from './helpers/sdk-services.js';
import { KIND } from './helpers/span-tree.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The real wire: the built engine as a process, configured by OTEL_* variables only, exporting to an
 * OTLP/HTTP receiver in the test.
 */
describe('tracing over OTLP/HTTP', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function engineWith(env: Record<string, string>, dataDir = mkdtempSync(join(tmpdir(), 'orra-otel-')), port?: number) {
    const engine = await new EngineProcess(port ?? (await freePort()), dataDir, { OTEL_BSP_SCHEDULE_DELAY: '50', ...env }).start(60_000);
    cleanup.push(() => engine.kill());
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    return engine;
  }
  async function receiver(): Promise<OtlpReceiver> {
    const r = await new OtlpReceiver().listen();
    cleanup.push(() => r.close());
    return r;
  }
  /** Runs a two-task chain through a raw service (it answers as orra's SDKs do); returns the id and the requests it got. */
  async function runChain(api: Api) {
    const requests: any[] = [];
    const inc = await new RawService(api, {
      name: 'inc',
      onTask: (input) => ({ output: { n: input.n + 1 } }),
    }).start();
    cleanup.push(() => inc.close());
    const spy = inc as unknown as { onMessage(m: any): void };
    const original = spy.onMessage.bind(inc);
    spy.onMessage = (m: any) => {
      if (m.type === 'task_request') requests.push(m);
      original(m);
    };
    const res = await api.post('/orchestrations', chainPlan([inc.id, inc.id]));
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    await waitFor(async () => (await api.get(`/orchestrations/inspections/${id}`)).body.status === 'completed', {
      what: `orchestration ${id} to complete`,
      timeoutMs: 30_000,
    });
    return { id, requests };
  }

  it.each([
    ['http/json', 'application/json'],
    ['http/protobuf', 'application/x-protobuf'],
  ])('exports the orchestration over %s, and the spans decode into its tree', async (protocol, contentType) => {
    const r = await receiver();
    const engine = await engineWith({
      OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'orra-under-test',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme%20corp',
    });
    const { api } = await newProject(engine.url);
    const { id, requests } = await runChain(api);
    const runSpan = await waitFor(
      () => r.spans.find((s) => s.name === 'orchestration.run' && s.attributes['orra.orchestration.id'] === id),
      { what: 'orchestration.run at the receiver', timeoutMs: 30_000 },
    );
    const request = r.requests[0]!;
    expect(request.contentType).toContain(contentType);
    expect(request.headers['x-tenant']).toBe('acme corp');
    expect(request.resource).toMatchObject({ 'service.name': 'orra-under-test', 'deployment.environment': 'test' });
    const mine = r.spans.filter((s) => s.attributes['orra.orchestration.id'] === id);
    const start = mine.find((s) => s.name === 'orchestration.start')!;
    const server = r.spans.find((s) => s.spanId === start.parentSpanId)!;
    expect(server).toMatchObject({ name: 'POST /orchestrations', kind: KIND.server });
    const attempts = mine.filter((s) => s.name === 'execute_task inc').sort((a, b) => a.startMs - b.startMs);
    expect(attempts.map((s) => [s.kind, s.parentSpanId, s.traceId, s.attributes['orra.task.id'], s.attributes['orra.task.attempt']])).toEqual([
      [KIND.client, start.spanId, start.traceId, 'task1', 1],
      [KIND.client, start.spanId, start.traceId, 'task2', 1],
    ]);
    expect(runSpan).toMatchObject({ kind: KIND.internal, parentSpanId: start.spanId, traceId: start.traceId });
    // The raw service (orra's protocol, no knowledge of tracing) got each attempt's traceparent and still worked.
    expect(requests.map((m) => m.traceparent)).toEqual(attempts.map((s) => `00-${s.traceId}-${s.spanId}-01`));
  });

  it.each([
    ['answers 503', 503],
    ['is gone', 0],
  ])('changes no orchestration when the collector %s, and counts the dropped spans', async (_what, status) => {
    const r = await receiver();
    const endpoint = r.endpoint;
    if (status === 0) await r.close();
    else r.status = status;
    const engine = await engineWith({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`, OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
    const { api } = await newProject(engine.url);
    const { requests } = await runChain(api);
    expect(requests).toHaveLength(2);
    const dropped = await waitFor(
      async () => {
        const text = await (await fetch(`${engine.url}/metrics`)).text();
        const n = Number(/^orra_otel_spans_dropped_total (\d+)/m.exec(text)?.[1] ?? 0);
        return n > 0 ? n : undefined;
      },
      { what: 'dropped spans to be counted', timeoutMs: 30_000 },
    );
    expect(dropped).toBeGreaterThan(0);
    expect(r.spans).toHaveLength(0);
    // The engine still stops promptly: the shutdown flush is bounded.
    expect(await engine.stop()).toBe(0);
  });

  it('stays off with OTEL_SDK_DISABLED=true: nothing exported, no traceparent on the wire', async () => {
    const r = await receiver();
    const engine = await engineWith({ OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' });
    const { api } = await newProject(engine.url);
    const { requests } = await runChain(api);
    expect(requests.map((m) => 'traceparent' in m)).toEqual([false, false]);
    expect(await engine.stop()).toBe(0); // a clean stop would flush anything queued
    expect(r.requests).toHaveLength(0);
  });

  it('continues the same trace after kill -9: later spans hang under the original orchestration.start', async () => {
    const r = await receiver();
    const dataDir = mkdtempSync(join(tmpdir(), 'orra-otel-crash-'));
    const port = await freePort();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: r.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    let engine = await engineWith(env, dataDir, port);
    const { api, apiKey } = await newProject(engine.url);
    let task2Started!: () => void;
    const task2Running = new Promise<void>((resolve) => (task2Started = resolve));
    const traceparents: Record<string, string[]> = {};
    const step = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'slow-step',
      input: { n: 'number' },
      output: { n: 'number' },
      handler: async (t: any) => {
        (traceparents[t.id] ??= []).push(t.traceparent);
        if (t.id === 'task2') task2Started();
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { n: t.input.n + 1 };
      },
    });
    cleanup.push(() => step.shutdown());
    const res = await api.post('/orchestrations', chainPlan([step.id, step.id, step.id], 0));
    const id = res.body.id as string;
    // The anchor is exported at once, long before the orchestration ends.
    const start = await waitFor(() => r.spans.find((s) => s.name === 'orchestration.start' && s.attributes['orra.orchestration.id'] === id), {
      what: 'orchestration.start exported while the orchestration runs',
      timeoutMs: 30_000,
    });
    await task2Running;
    await engine.kill();

    engine = await engineWith(env, dataDir, port);
    await waitFor(async () => (await api.get(`/orchestrations/inspections/${id}`)).body.status === 'completed', {
      what: 'the orchestration to finish after restart',
      timeoutMs: 60_000,
    });
    const runSpan = await waitFor(() => r.spans.find((s) => s.name === 'orchestration.run' && s.attributes['orra.orchestration.id'] === id), {
      what: 'orchestration.run after restart',
      timeoutMs: 30_000,
    });
    const mine = r.spans.filter((s) => s.attributes['orra.orchestration.id'] === id);
    const resume = mine.find((s) => s.name === 'orchestration.resume');
    expect(resume).toMatchObject({ traceId: start.traceId, parentSpanId: start.spanId });
    const task3 = mine.find((s) => s.name === 'execute_task slow-step' && s.attributes['orra.task.id'] === 'task3')!;
    expect(task3).toMatchObject({ traceId: start.traceId, parentSpanId: start.spanId });
    expect(traceparents.task3).toEqual([`00-${start.traceId}-${task3.spanId}-01`]);
    expect(runSpan).toMatchObject({ traceId: start.traceId, parentSpanId: start.spanId });
    // Both start at the creation time read from storage, across the crash.
    expect(runSpan.startMs).toBe(start.startMs);
    expect(runSpan.endMs).toBeGreaterThan(resume!.startMs);
  });
});
