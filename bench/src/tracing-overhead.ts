import { readFileSync, writeFileSync } from 'node:fs';
import { Tracing } from '@orra/engine';
import { OrraClient } from '@orra/sdk';
import { OtlpReceiver } from '../../scripts/otlp-receiver.mjs';
import { startEcho } from './echo-service.js';
import { benchStorage, startEngineChild } from './engine-child.js';
import { round, summarize } from './stats.js';

/**
 * What tracing costs per task: two engines side by side in the same run, one untraced and one exporting
 * every span (100 % sampling) over OTLP/protobuf to a local receiver, each running chains of 20 echo
 * tasks, alternately, so that load on the machine hits both alike. The figure is the per-task hop (one
 * task's request reaching the service to the next one's), as in task-overhead.ts, and the engine process's
 * CPU time per task, both while its own chains run and over the whole run. Tracing off is also
 * measured in isolation: the per-task calls into the untraced facade, in nanoseconds.
 */
const CHAIN = 20;
const ROUNDS = Number(process.env.BENCH_RUNS ?? 150);
const WARM_UP = 5;
/** Longer than the batch processor's schedule delay (OTEL_BSP_SCHEDULE_DELAY, 5 s): its last export is counted. */
const SETTLE_MS = 6_000;

async function engineWithEcho(env: Record<string, string>) {
  const engine = await startEngineChild(env);
  const admin = new OrraClient({ baseUrl: engine.url });
  const project = (await admin.registerProject({ name: 'bench' })) as { apiKey: string };
  const client = new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey });
  const state = { arrivals: [] as number[], done: undefined as (() => void) | undefined };
  const echo = await startEcho(engine.url, project.apiKey, (task) => {
    state.arrivals.push(performance.now());
    if (task.id === `task${CHAIN}`) setImmediate(() => state.done?.());
  });
  const tasks = Array.from({ length: CHAIN }, (_, i) => ({
    id: `task${i + 1}`,
    service: echo.info.id,
    input: { v: i === 0 ? '$task0.v' : `$task${i}.v` },
  }));
  const gaps: number[] = [];
  /** Each measured chain's median hop, to pair with the other engine's chain of the same round. */
  const chainMedians: number[] = [];
  let cpuTicks = 0;
  return {
    engine,
    gaps,
    chainMedians,
    get cpuTicks() {
      return cpuTicks;
    },
    async chain(isWarmUp: boolean): Promise<void> {
      state.arrivals = [];
      const finished = new Promise<void>((r) => (state.done = r));
      const cpuBefore = processCpuTicks(engine.child.pid!);
      await client.createOrchestration({ action: { content: 'echo chain' }, data: [{ field: 'v', value: 'hello' }], plan: { tasks } } as never);
      await finished;
      if (isWarmUp) return;
      cpuTicks += processCpuTicks(engine.child.pid!) - cpuBefore;
      const mine: number[] = [];
      for (let i = 1; i < state.arrivals.length; i++) mine.push(state.arrivals[i]! - state.arrivals[i - 1]!);
      gaps.push(...mine);
      chainMedians.push(summarize(mine).p50);
    },
    async stop(): Promise<void> {
      await echo.shutdown();
      await engine.stop();
    },
  };
}

/**
 * The engine process's CPU time so far (user + system, in clock ticks of 10 ms), from /proc: unlike
 * latency, CPU spent per task hardly moves with the load other processes put on the machine.
 */
function processCpuTicks(pid: number): number {
  const { user, system } = cpuSplit(`/proc/${pid}/stat`);
  return user + system;
}

/** User and system clock ticks of a process (`/proc/<pid>/stat`) or one of its threads (`…/task/<tid>/stat`). */
function cpuSplit(path: string): { user: number; system: number } {
  const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/**
 * Where an engine's CPU goes: its main (JavaScript) thread in user and system time, and all other
 * threads together (V8's GC helpers, libuv's pool; threads that ended count in the process total). A
 * cost moved off the event loop shows here, not in the process total.
 */
function cpuBreakdown(pid: number): { mainUser: number; mainSystem: number; otherThreads: number } {
  const all = cpuSplit(`/proc/${pid}/stat`);
  const main = cpuSplit(`/proc/${pid}/task/${pid}/stat`);
  return { mainUser: main.user, mainSystem: main.system, otherThreads: all.user + all.system - main.user - main.system };
}

/** The 1-minute load average when the run ended (other processes share the machine's cores). */
function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** The untraced facade's calls for one task attempt (start, end, and the run span's share), in ns. */
function offPathNs(): number {
  const off = Tracing.off();
  const record = { id: 'o', projectId: 'p', traceContext: null } as never;
  const task = { orchestrationId: 'o', taskId: 't', pausedSince: null } as never;
  const n = 2_000_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    off.taskAttemptStarted(record, task, 'e', 0);
    off.taskAttemptEnded(task, 'completed');
  }
  return Number(process.hrtime.bigint() - start) / n;
}

export async function tracingOverhead(): Promise<Record<string, unknown>> {
  const receiver = await new OtlpReceiver().listen();
  let received = 0;
  receiver.onSpan = () => void received++;
  const off = await engineWithEcho({});
  // BENCH_AA=1: both untraced (the second only by OTEL_SDK_DISABLED), to see the measurement's own bias.
  const on = await engineWithEcho({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_TRACES_SAMPLER: process.env.BENCH_SAMPLER ?? 'always_on',
    ...(process.env.BENCH_AA ? { OTEL_SDK_DISABLED: 'true' } : {}),
    ...(process.env.BENCH_EXPORTER ? { OTEL_TRACES_EXPORTER: process.env.BENCH_EXPORTER } : {}),
    ...(process.env.BENCH_ON_ENV ? (JSON.parse(process.env.BENCH_ON_ENV) as Record<string, string>) : {}),
  });
  const measuredTasks = (ROUNDS - WARM_UP) * CHAIN;
  const cpuUsPerTask = (ticks: number) => round((ticks * 10_000) / measuredTasks, 1);
  let cpuAtStart = { off: 0, on: 0 };
  let splitAtStart = { off: cpuBreakdown(off.engine.child.pid!), on: cpuBreakdown(on.engine.child.pid!) };
  for (let round = 0; round < ROUNDS; round++) {
    const isWarmUp = round < WARM_UP;
    if (round === WARM_UP) {
      cpuAtStart = { off: processCpuTicks(off.engine.child.pid!), on: processCpuTicks(on.engine.child.pid!) };
      splitAtStart = { off: cpuBreakdown(off.engine.child.pid!), on: cpuBreakdown(on.engine.child.pid!) };
    }
    // Alternate who goes first, so neither always runs right after the other's burst.
    const pair = round % 2 === 0 ? [off, on] : [on, off];
    for (const e of pair) await e.chain(isWarmUp);
  }
  // The whole measured period, idle time between chains and the exports that ran then included.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const cpuWhole = {
    off: processCpuTicks(off.engine.child.pid!) - cpuAtStart.off,
    on: processCpuTicks(on.engine.child.pid!) - cpuAtStart.on,
  };
  const splitWhole = (which: 'off' | 'on') => {
    const now = cpuBreakdown((which === 'off' ? off : on).engine.child.pid!);
    const at = splitAtStart[which];
    return {
      mainUser: cpuUsPerTask(now.mainUser - at.mainUser),
      mainSystem: cpuUsPerTask(now.mainSystem - at.mainSystem),
      otherThreads: cpuUsPerTask(now.otherThreads - at.otherThreads),
    };
  };
  const cpuSplitWhole = { off: splitWhole('off'), on: splitWhole('on') };
  await off.stop();
  await on.stop(); // flushes its spans
  await receiver.close();
  const hopOff = summarize(off.gaps);
  const hopOn = summarize(on.gaps);
  const pairedRatios = off.chainMedians.map((m, i) => on.chainMedians[i]! / m);
  const result = {
    benchmark: 'tracing-overhead',
    storage: benchStorage,
    chain: CHAIN,
    rounds: ROUNDS,
    perTaskHopOffMs: { p50: round(hopOff.p50), p99: round(hopOff.p99), mean: round(hopOff.mean) },
    perTaskHopOnMs: { p50: round(hopOn.p50), p99: round(hopOn.p99), mean: round(hopOn.mean) },
    onToOffRatio: { p50: round(hopOn.p50 / hopOff.p50, 3), mean: round(hopOn.mean / hopOff.mean, 3) },
    // Each round's traced chain against the untraced one run right next to it: load shifts cancel out.
    pairedChainRatio: { median: round(summarize(pairedRatios).p50, 3) },
    // CPU time of each engine while its own chains ran…
    engineCpuUsPerTask: { off: cpuUsPerTask(off.cpuTicks), on: cpuUsPerTask(on.cpuTicks), ratio: round(on.cpuTicks / Math.max(1, off.cpuTicks), 3) },
    // …and over the whole measured period plus the settle time: what runs between chains (batch exports
    // on their timer) counts too. The stricter of the two figures.
    engineCpuUsPerTaskWholeRun: { off: cpuUsPerTask(cpuWhole.off), on: cpuUsPerTask(cpuWhole.on), ratio: round(cpuWhole.on / Math.max(1, cpuWhole.off), 3) },
    // The whole-run figure split: main thread (user, system) and the other threads.
    engineCpuUsPerTaskWholeRunByThread: cpuSplitWhole,
    load: loadAverage(),
    spansReceived: received,
    offPathNsPerTask: round(offPathNs(), 1),
    targetOnToOffRatio: 1.05,
  };
  writeFileSync(new URL(`../results/tracing-overhead.json`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}


if (import.meta.url === `file://${process.argv[1]}`) {
  tracingOverhead().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
