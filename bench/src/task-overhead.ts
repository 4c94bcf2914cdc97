import { writeFileSync } from 'node:fs';
import { OrraClient } from '@orra/sdk';
import { benchStorage, startEngineChild } from './engine-child.js';
import { measureRawWsRoundTrip } from './raw-ws-rtt.js';
import { round, summarize } from './stats.js';
import { startEcho } from './echo-service.js';

/**
 * Engine overhead per task: a chain of 20 echo tasks, durable on SQLite (WAL, synchronous=FULL) or, with
 * BENCH_DATABASE_URL, on PostgreSQL; the engine in its own process. The time between one task's request
 * reaching the service and the next task's request reaching it is one engine "hop": result in, commit,
 * next request out. Subtracting the raw cross-process WebSocket round trip, measured in the same run,
 * leaves the engine's own cost.
 */
const CHAIN = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 60);

export async function taskOverhead(): Promise<Record<string, unknown>> {
  const raw = await measureRawWsRoundTrip();
  const engine = await startEngineChild();
  const admin = new OrraClient({ baseUrl: engine.url });
  const project = (await admin.registerProject({ name: 'bench' })) as { apiKey: string };
  const client = new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey });

  let arrivals: number[] = [];
  let done: (() => void) | undefined;
  const echo = await startEcho(engine.url, project.apiKey, (task) => {
    arrivals.push(performance.now());
    if (task.id === `task${CHAIN}`) setImmediate(() => done?.());
  });
  const tasks = Array.from({ length: CHAIN }, (_, i) => ({
    id: `task${i + 1}`,
    service: echo.info.id,
    input: { v: i === 0 ? '$task0.v' : `$task${i}.v` },
  }));
  const gaps: number[] = [];
  const totals: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    arrivals = [];
    const finished = new Promise<void>((r) => (done = r));
    const start = performance.now();
    await client.createOrchestration({ action: { content: 'echo chain' }, data: [{ field: 'v', value: 'hello' }], plan: { tasks } } as never);
    await finished;
    totals.push(performance.now() - start);
    if (run < 5) continue; // warm-up
    for (let i = 1; i < arrivals.length; i++) gaps.push((arrivals[i] as number) - (arrivals[i - 1] as number));
  }
  await echo.shutdown();
  await engine.stop();

  const hop = summarize(gaps);
  const result = {
    benchmark: 'task-overhead',
    storage: benchStorage,
    chain: CHAIN,
    runs: RUNS,
    rawWsRoundTripMs: { p50: round(raw.p50), p99: round(raw.p99) },
    perTaskHopMs: { p50: round(hop.p50), p99: round(hop.p99) },
    engineOverheadPerTaskMs: { p50: round(hop.p50 - raw.p50), p99: round(hop.p99 - raw.p99) },
    hopToRoundTripRatio: { p50: round(hop.p50 / raw.p50, 2), p99: round(hop.p99 / raw.p99, 2) },
    chainOf20TotalMs: { p50: round(summarize(totals).p50) },
    // The architecture's budget is for SQLite; PostgreSQL adds its commit round trips (no target yet).
    ...(benchStorage === 'sqlite' ? { targetOverheadP50Ms: 1.5 } : {}),
  };
  const file = benchStorage === 'sqlite' ? 'task-overhead.json' : `task-overhead-${benchStorage}.json`;
  writeFileSync(new URL(`../results/${file}`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  taskOverhead().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
