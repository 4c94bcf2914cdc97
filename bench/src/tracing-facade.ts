import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { loadTracingConfig, Tracing } from '@orra/engine';
// Not part of the engine's API: the benchmark drives the tracing facade on its own.
import { createTracing } from '../../packages/engine/dist/tracing/create-tracing.js';
import { SpanDropCounter } from '../../packages/engine/dist/tracing/span-drop-counter.js';
import { round } from './stats.js';

/**
 * What the tracing facade alone costs per task, split: the engine's calls for 20-task orchestrations
 * (anchor, one attempt per task started and ended a turn of the event loop later, closing span), in this
 * process's CPU time, with tracing off, with spans recorded but exported to a no-op exporter, and with
 * spans exported over OTLP/protobuf to a sink in another process (so only the sending side is counted).
 * The difference between the last two is the export (batching, encoding, HTTP). Complements
 * tracing-overhead.ts, which measures whole engines.
 */
const TASKS = Number(process.env.BENCH_TASKS ?? 30_000);
const CHAIN = 20;

const SINK = `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => { r.writeHead(200); r.end(); }); });
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as never;

async function drive(tracing: Tracing, tasks: number): Promise<void> {
  for (let o = 0; o < tasks / CHAIN; o++) {
    const now = Date.now();
    const record = { id: `o_bench${o}`, projectId: 'p_bench', createdAt: now, updatedAt: now, status: 'completed', traceContext: null as string | null };
    record.traceContext = tracing.startOrchestration(record);
    for (let i = 1; i <= CHAIN; i++) {
      const task = { orchestrationId: record.id, taskId: `task${i}`, serviceId: 's_bench', serviceName: 'echo', attempts: 1, pausedSince: null, traceContext: null };
      tracing.taskAttemptStarted(record as never, task as never, `e_bench${i}`, Date.now());
      await new Promise((r) => setImmediate(r));
      tracing.taskAttemptEnded(task, 'completed');
    }
    tracing.ended(record as never);
  }
}

async function cpuPerTask(make: () => Promise<Tracing>): Promise<number> {
  const tracing = await make();
  await drive(tracing, TASKS); // warm-up
  const before = process.cpuUsage();
  await drive(tracing, TASKS);
  await tracing.shutdown(); // the last batch is exported inside the measurement
  const used = process.cpuUsage(before);
  return (used.user + used.system) / TASKS;
}

export async function tracingFacade(): Promise<Record<string, unknown>> {
  const sink = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((r) => sink.stdout.once('data', (d: Buffer) => r(Number(String(d).trim()))));
  const options = () => ({ readAnchor: async () => null, serviceVersion: 'bench', dropCounter: new SpanDropCounter(new Registry()), log: silent });
  const noopExporter = { export: (_s: unknown, done: (r: { code: number }) => void) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
  try {
    const off = await cpuPerTask(async () => Tracing.off());
    const recorded = await cpuPerTask(() => createTracing(loadTracingConfig({}), { ...options(), exporter: noopExporter as never }));
    const exported = await cpuPerTask(() => createTracing(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` }), options()));
    const result = {
      benchmark: 'tracing-facade',
      tasks: TASKS,
      cpuUsPerTask: { off: round(off, 2), recordedNoopExporter: round(recorded, 2), exportedOtlpProtobuf: round(exported, 2) },
      load: Number((await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
    };
    writeFileSync(new URL('../results/tracing-facade.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    sink.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  tracingFacade().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
