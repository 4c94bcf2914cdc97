import { readFileSync, writeFileSync } from 'node:fs';
import { OrraClient } from '@orra/sdk';
import { Pool } from 'undici';
import { diamondBody } from './diamond.js';
import { measureRawWsThroughput } from './raw-ws-rtt.js';
import { benchStorage, startEngineChild } from './engine-child.js';
import { round, summarize } from './stats.js';
import { startEcho } from './echo-service.js';
import { listenForCompletions } from './completion-receiver.js';
import { loadAverage, processCpuUs } from './proc-stats.js';

/**
 * Throughput: 5-task diamond orchestrations (task1 → task2, task3, task4 → task5) on echo services,
 * submitted open-loop at a fixed rate for a fixed time, completion observed through the engine's own
 * `orchestration.completed` webhooks (no polling). Reports completed orchestrations/s, tasks/s,
 * end-to-end latency from submit to webhook, and the engine's peak RSS, next to the reference measured
 * in the same run: raw WebSocket echo round trips/s between two processes (÷ 5 = the diamond ceiling).
 */
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 30);

export async function throughput(): Promise<Record<string, unknown>> {
  // The reference, measured first so nothing else competes for the cores: raw WebSocket echo round trips
  // between two processes. A diamond is 5 of them at least.
  const rawWs = await measureRawWsThroughput();
  const engine = await startEngineChild();
  const admin = new OrraClient({ baseUrl: engine.url });
  const project = (await admin.registerProject({ name: 'bench' })) as { apiKey: string };
  const client = new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey });

  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let completed = 0;
  let lastCompletionAt = 0;
  let submitted = 0;
  let rejected = 0;
  let isSubmitting = true;
  let drained: () => void = () => undefined;
  const checkDrained = () => {
    if (!isSubmitting && completed + rejected >= submitted) drained();
  };
  const stopReceiver = await listenForCompletions(client, (orchestrationId) => {
    const start = submittedAt.get(orchestrationId);
    if (start === undefined) return;
    submittedAt.delete(orchestrationId);
    latencies.push(performance.now() - start);
    completed += 1;
    lastCompletionAt = performance.now();
    checkDrained();
  });

  const echo = await startEcho(engine.url, project.apiKey);
  // Set by register() above.
  const body = diamondBody(echo.info.id as string);
  const pool = new Pool(engine.url, { connections: 16, pipelining: 1 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${project.apiKey}` };
  const cpuAtStartUs = processCpuUs(engine.child.pid);
  const loadAtStart = loadAverage();
  const startedAt = performance.now();
  const endAt = startedAt + DURATION_S * 1000;
  // Open loop: submissions follow the clock, not the responses.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= endAt) return resolve();
      const due = Math.floor(((now - startedAt) / 1000) * RATE);
      while (submitted < due) {
        submitted += 1;
        const t0 = performance.now();
        void pool.request({ path: '/orchestrations', method: 'POST', headers, body }).then(
          async (res) => {
            const text = await res.body.text();
            if (res.statusCode !== 202) return void ((rejected += 1), checkDrained());
            submittedAt.set((JSON.parse(text) as { id: string }).id, t0);
          },
          () => void ((rejected += 1), checkDrained()),
        );
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  // Wait (event-driven) for the backlog to drain, at most 60 s.
  await new Promise<void>((resolve) => {
    drained = resolve;
    isSubmitting = false;
    checkDrained();
    setTimeout(resolve, 60_000).unref();
  });
  const rssKb = readPeakRssKb(engine.child.pid);
  // The engine's CPU over the run (submissions, steps, webhooks), to compare builds per orchestration
  // even when both keep up with the offered rate and complete the same number.
  const engineCpuUsTotal = processCpuUs(engine.child.pid) - cpuAtStartUs;
  const loadAtEnd = loadAverage();
  await pool.close();
  await echo.shutdown();
  await engine.stop();
  await stopReceiver();

  const seconds = (lastCompletionAt - startedAt) / 1000;
  const lat = summarize(latencies);
  const result = {
    benchmark: 'throughput',
    shape: `5-task diamond, echo services, durable on ${benchStorage === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    storage: benchStorage,
    offeredRatePerS: RATE,
    durationS: DURATION_S,
    submitted,
    completed,
    rejected,
    orchestrationsPerS: round(completed / seconds, 1),
    tasksPerS: round((completed * 5) / seconds, 1),
    endToEndMs: { p50: round(lat.p50), p99: round(lat.p99) },
    engineCpuUsPerOrchestration: completed > 0 ? Math.round(engineCpuUsTotal / completed) : null,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    enginePeakRssMiB: rssKb ? round(rssKb / 1024, 1) : null,
    reference: {
      rawWsEchoRoundTripsPerS: rawWs.perS,
      ceilingOrchestrationsPerS: round(rawWs.perS / 5, 1),
    },
    ratioToCeiling: round(completed / seconds / (rawWs.perS / 5), 3),
    targetOrchestrationsPerS: 1000,
  };
  // A PostgreSQL run goes to its own file, so it never overwrites the SQLite figures.
  const file = benchStorage === 'sqlite' ? 'throughput.json' : `throughput-${benchStorage}.json`;
  writeFileSync(new URL(`../results/${file}`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function readPeakRssKb(pid: number | undefined): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  } catch {
    return undefined;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  throughput().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
