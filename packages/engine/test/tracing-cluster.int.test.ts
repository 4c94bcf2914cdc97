import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEngine } from '../src/app.js';
import { Api, newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { OtlpReceiver } from './helpers/otlp-receiver.js';
import { startService } from './helpers/sdk-services.js';
import { viewOf } from './helpers/span-tree.js';
import { dropSchema, isPostgresReachable, isPostgresRun, TEST_DATABASE_URL, uniqueSchema } from './helpers/test-database.js';
import { waitFor } from './helpers/wait-for.js';

// Always on PostgreSQL (a takeover needs two processes on one database), so the suite's PostgreSQL
// repeat skips it, as cluster.int.test.ts does.
const isSkipped = isPostgresRun || !(await isPostgresReachable());

describe.skipIf(isSkipped)('tracing across a takeover on PostgreSQL', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it("continues the orchestration's trace in the process that takes it over from a SIGKILLed one", async () => {
    const schema = uniqueSchema('tracing_takeover');
    cleanup.push(() => dropSchema(schema));
    const receiver = await new OtlpReceiver().listen();
    cleanup.push(() => receiver.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'orra-trace-a-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // A exports to the receiver, configured by environment; B to an in-memory exporter.
    const a = await new EngineProcess(await freePort(), dataDir, {
      ORRA_DATABASE_URL: TEST_DATABASE_URL,
      ORRA_DATABASE_SCHEMA: schema,
      ORRA_CLUSTER_CHECK_INTERVAL_MS: '200',
      ORRA_TASK_TIMEOUT_MS: '120000',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    }).start(60_000);
    cleanup.push(() => a.kill());
    const exporter = new InMemorySpanExporter();
    const bDir = mkdtempSync(join(tmpdir(), 'orra-trace-b-'));
    const b = await startEngine({
      env: {},
      spanExporter: exporter,
      overrides: {
        port: 0,
        dataDir: bDir,
        logLevel: 'silent',
        databaseUrl: TEST_DATABASE_URL,
        databaseSchema: schema,
        clusterCheckIntervalMs: 200,
        taskTimeoutMs: 120_000,
      },
    });
    cleanup.push(async () => {
      await b.close();
      rmSync(bDir, { recursive: true, force: true });
    });
    const { api: apiA, apiKey } = await newProject(a.url);
    let task2Started!: () => void;
    const task2Running = new Promise<void>((resolve) => (task2Started = resolve));
    const step = await startService({
      orraUrl: [a.url, b.url],
      apiKey,
      name: 'slow-step',
      input: { n: 'number' },
      output: { n: 'number' },
      handler: async (t: any) => {
        if (t.id === 'task2') task2Started();
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { n: t.input.n + 1 };
      },
    });
    cleanup.push(() => step.shutdown());
    const res = await apiA.post('/orchestrations', {
      action: { content: 'three steps through a takeover' },
      plan: {
        tasks: [
          { id: 'task0', input: { n: 0 } },
          { id: 'task1', service: step.id, input: { n: '$task0.n' } },
          { id: 'task2', service: step.id, input: { n: '$task1.n' } },
          { id: 'task3', service: step.id, input: { n: '$task2.n' } },
        ],
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const start = await waitFor(() => receiver.spans.find((s) => s.name === 'orchestration.start' && s.attributes['orra.orchestration.id'] === id), {
      what: "A's orchestration.start at the receiver",
      timeoutMs: 30_000,
    });
    await task2Running;
    await a.kill();

    const apiB = new Api(b.url, apiKey);
    await waitFor(async () => (await apiB.get(`/orchestrations/inspections/${id}`)).body.status === 'completed', {
      what: 'B to finish the orchestration',
      timeoutMs: 60_000,
    });
    const fromB = exporter.getFinishedSpans().map((s) => viewOf(s as never)).filter((s) => s.attributes['orra.orchestration.id'] === id);
    const resume = fromB.find((s) => s.name === 'orchestration.resume');
    const task3 = fromB.find((s) => s.name === 'execute_task slow-step' && s.attributes['orra.task.id'] === 'task3');
    const runSpan = fromB.find((s) => s.name === 'orchestration.run');
    for (const s of [resume, task3, runSpan]) expect(s).toMatchObject({ traceId: start.traceId, parentSpanId: start.spanId });
    expect(runSpan!.startMs).toBe(start.startMs);
  });
});
