import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTracingConfig } from '../src/config/tracing-config.js';
import { newProject } from './helpers/api.js';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { MarkdownDoc, markdownTables, REPO_ROOT } from './helpers/markdown-doc.js';
import { chainPlan, RawService } from './helpers/raw-service.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * docs/tracing.md and the tracing part of docs/config.md, against the engine: the walk-through's two
 * commands run as written (on free ports), the receiver prints the lines the doc shows, and the doc's
 * span tree, attribute table and variable table name what the code does.
 */
const doc = MarkdownDoc.read('docs/tracing.md');
const config = MarkdownDoc.read('docs/config.md');
const tracingSource = ['tracing/tracing.ts', 'planning/llm-planner.ts']
  .map((f) => readFileSync(join(REPO_ROOT, 'packages/engine/src', f), 'utf8'))
  .join('\n');
const configSource = readFileSync(join(REPO_ROOT, 'packages/engine/src/config/tracing-config.ts'), 'utf8');

describe('docs/tracing.md', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /** The repository's OTLP receiver on a free port, once it listens; `stdout()` is what it printed so far. */
  async function startCollector(program: string, script: string): Promise<{ port: number; stdout: () => string }> {
    const port = await freePort();
    const receiver: ChildProcess = spawn(program, [script, String(port)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.push(() => receiver.kill());
    let stdout = '';
    let stderr = '';
    receiver.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    receiver.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => stderr.includes('listening'), { what: 'the receiver to listen', timeoutMs: 30_000 });
    return { port, stdout: () => stdout };
  }

  it('the walk-through: the receiver command prints the spans of an orchestration run by an engine started as shown', async () => {
    const [receiverCommand, engineCommand] = doc.blocks('sh').map((b) => b.text.trim());
    expect(receiverCommand).toBe('node scripts/otlp-receiver.mjs 4318');
    const [program, script] = receiverCommand!.split(' ');
    const collector = await startCollector(program === 'node' ? process.execPath : program!, script!);
    const collectorPort = collector.port;

    // `VAR=value … npm start`: the variables as written, the collector on its free port.
    const env = Object.fromEntries(
      [...engineCommand!.matchAll(/(OTEL_[A-Z_]+)=(\S+)/g)].map(([, k, v]) => [k!, v!.replace(':4318', `:${collectorPort}`)]),
    );
    expect(Object.keys(env)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME']);
    const dataDir = mkdtempSync(join(tmpdir(), 'orra-docs-tracing-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const engine = await new EngineProcess(await freePort(), dataDir, { ...env, OTEL_BSP_SCHEDULE_DELAY: '50' }).start(60_000);
    cleanup.push(() => engine.kill());
    const { api } = await newProject(engine.url);
    const inventory = await new RawService(api, { name: 'inventory', onTask: (input) => ({ output: { n: input.n + 1 } }) }).start();
    cleanup.push(() => inventory.close());
    const res = await api.post('/orchestrations', chainPlan([inventory.id]));
    expect(res.status).toBe(202);

    const lines = await waitFor(
      () => {
        const parsed = collector.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
        return parsed.some((l) => l.name === 'orchestration.run') ? parsed : undefined;
      },
      { what: 'orchestration.run printed by the receiver', timeoutMs: 30_000 },
    );
    // The doc's example output: the same span names, in the same shape.
    const example = doc.blocks('').find((b) => b.text.includes('"name":"orchestration.start"'))!;
    const shown = example.text.split('\n').filter(Boolean).map((l) => ({
      name: /"name":"([^"]+)"/.exec(l)![1],
      keys: [...l.matchAll(/"(\w+)":/g)].map((m) => m[1]).filter((k) => ['service', 'name', 'traceId', 'spanId', 'parentSpanId', 'durationMs', 'attributes'].includes(k!)),
    }));
    for (const { name, keys } of shown) {
      const line = lines.find((l) => l.name === name);
      expect(line, name).toBeDefined();
      expect(Object.keys(line!).filter((k) => k !== 'links'), name).toEqual(keys);
      expect(line!.service).toBe('orra-engine');
    }
    const start = lines.find((l) => l.name === 'orchestration.start')!;
    expect(lines.find((l) => l.name === 'execute_task inventory')).toMatchObject({ traceId: start.traceId, parentSpanId: start.spanId });
  });

  it("the walk-through's demo variant: the README's demo sends its engine's spans to the collector the OTEL_* variables name", async () => {
    const command = /`(OTEL_[^`]*npm run demo)`/.exec(doc.text)?.[1];
    expect(command, 'the demo command in the walk-through').toBeDefined();
    const collector = await startCollector(process.execPath, 'scripts/otlp-receiver.mjs');
    const collectorPort = collector.port;
    const env = Object.fromEntries(
      [...command!.matchAll(/(OTEL_[A-Z_]+)=(\S+)/g)].map(([, k, v]) => [k!, v!.replace(':4318', `:${collectorPort}`)]),
    );
    expect(Object.keys(env)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME']);
    // `npm run demo` is the build and then this script; the tests run on a built tree.
    const demo = spawn(process.execPath, ['examples/ecommerce/dist/demo.js'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, OTEL_BSP_SCHEDULE_DELAY: '50', NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    cleanup.push(() => demo.kill());
    expect(await new Promise((resolve) => demo.once('exit', resolve))).toBe(0);
    const runs = await waitFor(
      () => {
        const parsed = collector.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
        const found = parsed.filter((l) => l.name === 'orchestration.run');
        return found.length >= 3 ? found : undefined;
      },
      { what: "the demo's three orchestration.run spans printed by the receiver", timeoutMs: 30_000 },
    );
    expect(runs.every((r) => r.service === 'orra-engine')).toBe(true);
  });

  it('the span tree names every span the engine makes, and no other', () => {
    const tree = doc.blocks('').find((b) => b.text.includes('├─ orchestration.plan'))!;
    const named = tree.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.replace(/^[\s│├└─]+/, '').split(/\s{2,}/)[0]!.replace(/ \{.*\}$/, ''));
    expect(named).toEqual([
      'POST /orchestrations',
      'orchestration.plan',
      'chat',
      'orchestration.start',
      'execute_task',
      'compensate',
      'orchestration.resume',
      'webhook.deliver',
      'orchestration.run',
    ]);
    const inCode = new Set(
      [...tracingSource.matchAll(/[`'](orchestration\.\w+|execute_task|compensate|webhook\.deliver|chat)[ `']/g)].map((m) => m[1]),
    );
    expect([...inCode].sort()).toEqual(named.filter((n) => !n.startsWith('POST')).sort());
  });

  it('the attribute table lists every orra.* attribute the engine sets', () => {
    const [table] = markdownTables(doc.section('Attributes', 2).body);
    const documented = new Set(table!.rows.flatMap(([cell]) => [...cell!.matchAll(/`(orra\.[a-z_.]+)`/g)].map((m) => m[1])));
    const set = new Set([...tracingSource.matchAll(/'(orra\.[a-z_.]+)'/g)].map((m) => m[1]).filter((a) => a !== 'orra.link.kind'));
    expect([...set].sort()).toEqual([...documented].sort());
  });
});

describe('docs/config.md, tracing', () => {
  it('lists every OTEL_* variable the engine reads, with its real default', () => {
    const table = markdownTables(config.section('Tracing (OpenTelemetry)', 2).body)[0]!;
    const rows = table.rows.map(([vars, def]) => ({ vars: [...vars!.matchAll(/`(OTEL_[A-Z_]+)`/g)].map((m) => m[1]!), def: /^`([^`]+)`/.exec(def!)?.[1] }));
    const read = new Set([...configSource.matchAll(/'(OTEL_[A-Z_]+)'/g)].map((m) => m[1]!));
    expect(rows.flatMap((r) => r.vars).sort()).toEqual([...read].sort());
    const off = loadTracingConfig({});
    const actual: Record<string, unknown> = {
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: off.endpoint.replace(/\/v1\/traces$/, ''),
      OTEL_EXPORTER_OTLP_PROTOCOL: off.protocol,
      OTEL_EXPORTER_OTLP_TIMEOUT: String(off.timeoutMs),
      OTEL_SERVICE_NAME: off.serviceName,
      OTEL_TRACES_SAMPLER: off.sampler,
      OTEL_TRACES_SAMPLER_ARG: String(off.samplerRatio),
      OTEL_PROPAGATORS: off.propagators.join(','),
      OTEL_BSP_SCHEDULE_DELAY: String(off.batch.scheduleDelayMs),
      OTEL_BSP_EXPORT_TIMEOUT: String(off.batch.exportTimeoutMs),
      OTEL_BSP_MAX_QUEUE_SIZE: String(off.batch.maxQueueSize),
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: String(off.batch.maxExportBatchSize),
    };
    for (const { vars, def } of rows) {
      if (def === undefined) continue; // unset
      expect(def, vars[0]).toBe(actual[vars[0]!]);
    }
  });
});
