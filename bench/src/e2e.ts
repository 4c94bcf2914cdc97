import { readFileSync, writeFileSync } from 'node:fs';
import { OrraClient } from '@orra/sdk';
import { Pool } from 'undici';
import { listenForCompletions } from './completion-receiver.js';
import { diamondBody } from './diamond.js';
import { startEcho } from './echo-service.js';
import { benchStorage, startEngineChild, type EngineChild } from './engine-child.js';
import { measureRawWsRoundTrip, measureRawWsThroughput } from './raw-ws-rtt.js';
import { round, summarize } from './stats.js';
import { openCommitProbe } from './storage-commit.js';
import { loadAverage, processCpuUs } from './proc-stats.js';

/**
 * End to end, as an application sees it: from `POST /orchestrations` to the engine's own
 * `orchestration.completed` webhook reaching a receiver (never polling the API), the engine in its own
 * process, durable on SQLite (WAL, synchronous=FULL) or, with BENCH_DATABASE_URL, PostgreSQL.
 *
 * - **chains**: chains of 1, 3 and 20 echo tasks, one at a time, round after round. Marginal cost per task
 *   = (chain of 20 − chain of 1) / 19 at p50; a hop = from one task's request reaching the service to the
 *   next one's. References interleaved with the rounds, in the same run: the raw WebSocket round trip
 *   between two processes, and one storage commit (SQLite WAL + fsync, or a PostgreSQL INSERT).
 *   `BENCH_BASELINE_MAIN=<path to another build's main.js>` starts a second engine of that build and
 *   alternates the two round by round (who goes first alternates too), for an A/B in one run.
 * - **sustained**: 5-task diamonds offered open-loop at `BENCH_SUSTAINED_RATE` (1,000/s) for
 *   `BENCH_SUSTAINED_S` (300 s), completion by webhook; the engine's RSS sampled every second. Reference:
 *   raw WebSocket echo round trips/s between two processes, measured just before (÷ 5 = diamond ceiling).
 *
 * `npm run bench -- e2e` runs both; `BENCH_E2E_PHASES=chains` or `sustained` runs one.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const WARMUP_ROUNDS = 3;
const CHAINS = [1, 3, 20] as const;
const SUSTAINED_RATE = Number(process.env.BENCH_SUSTAINED_RATE ?? 1000);
const SUSTAINED_S = Number(process.env.BENCH_SUSTAINED_S ?? 300);
const PHASES = (process.env.BENCH_E2E_PHASES ?? 'chains,sustained').split(',');

interface Subject {
  label: string;
  engine: EngineChild;
  client: OrraClient;
  apiKey: string;
  serviceId: string;
  /** Called with each completed orchestration's id; by default settles `waitFor`. */
  onCompleted: (orchestrationId: string, at: number) => void;
  /** Times tasks reached the service, while not null. */
  arrivals: number[] | null;
  waitFor(orchestrationId: string): Promise<number>;
  shutdown(): Promise<void>;
}

/** An engine with an echo service and a completion receiver of its own. */
async function startSubject(label: string, main?: string): Promise<Subject> {
  const engine = await startEngineChild({}, undefined, main);
  const admin = new OrraClient({ baseUrl: engine.url });
  const project = (await admin.registerProject({ name: 'bench' })) as { apiKey: string };
  const client = new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey });
  const waiters = new Map<string, (at: number) => void>();
  const early = new Map<string, number>();
  const stopReceiver = await listenForCompletions(client, (id) => subject.onCompleted(id, performance.now()));
  const subject: Subject = {
    label,
    engine,
    client,
    apiKey: project.apiKey,
    serviceId: '',
    arrivals: [],
    onCompleted(id, at) {
      const waiter = waiters.get(id);
      if (waiter) {
        waiters.delete(id);
        waiter(at);
      } else early.set(id, at); // the webhook beat the POST's response
    },
    waitFor(id) {
      const at = early.get(id);
      if (at !== undefined) {
        early.delete(id);
        return Promise.resolve(at);
      }
      return new Promise((r) => waiters.set(id, r));
    },
    async shutdown() {
      await echo.shutdown();
      await engine.stop();
      await stopReceiver();
    },
  };
  const echo = await startEcho(engine.url, project.apiKey, () => void subject.arrivals?.push(performance.now()));
  subject.serviceId = echo.info.id as string;
  return subject;
}

function chainBody(serviceId: string, length: number): unknown {
  const tasks = Array.from({ length }, (_, i) => ({ id: `task${i + 1}`, service: serviceId, input: { v: `$task${i}.v` } }));
  return { action: { content: `echo chain of ${length}` }, data: [{ field: 'v', value: 'hello' }], plan: { tasks } };
}

function rssKb(pid: number | undefined, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]);
}

async function chains(): Promise<Record<string, unknown>> {
  const loadAtStart = loadAverage();
  const probe = await openCommitProbe(process.env.BENCH_DATABASE_URL);
  const subjects = [await startSubject('current')];
  if (process.env.BENCH_BASELINE_MAIN) subjects.push(await startSubject('baseline', process.env.BENCH_BASELINE_MAIN));
  const rtt: number[] = [];
  const commits: number[] = [];
  type Samples = { totals: Record<number, number[]>; hops: number[]; cpuUs: number; tasks: number };
  const samples = new Map<string, Samples>(
    subjects.map((s) => [s.label, { totals: { 1: [], 3: [], 20: [] }, hops: [], cpuUs: 0, tasks: 0 }]),
  );
  for (let round = 0; round < ROUNDS + WARMUP_ROUNDS; round++) {
    const measured = round >= WARMUP_ROUNDS;
    // The references, interleaved with the engines' rounds so they see the same load.
    const r = await measureRawWsRoundTrip(100);
    const c = await probe.measure(20);
    if (measured) {
      rtt.push(...r.samples);
      commits.push(...c);
    }
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) {
      const mine = samples.get(subject.label)!;
      for (const length of CHAINS) {
        subject.arrivals = [];
        const cpuBefore = processCpuUs(subject.engine.child.pid);
        const start = performance.now();
        const { id } = (await subject.client.createOrchestration(chainBody(subject.serviceId, length) as never)) as { id: string };
        const doneAt = await subject.waitFor(id);
        if (!measured) continue;
        mine.totals[length]!.push(doneAt - start);
        mine.cpuUs += processCpuUs(subject.engine.child.pid) - cpuBefore;
        mine.tasks += length;
        const arrivals = subject.arrivals;
        if (length === 20) for (let i = 1; i < arrivals.length; i++) mine.hops.push(arrivals[i]! - arrivals[i - 1]!);
      }
    }
  }
  for (const s of subjects) await s.shutdown();
  await probe.close();

  const ref = { rawWsRoundTripMs: pick(summarize(rtt)), storageCommitMs: pick(summarize(commits)) };
  const perSubject = Object.fromEntries(
    subjects.map((s) => {
      const m = samples.get(s.label)!;
      const [c1, c3, c20] = CHAINS.map((n) => summarize(m.totals[n]!));
      const hop = summarize(m.hops);
      const marginal = (c20!.p50 - c1!.p50) / 19;
      return [
        s.label,
        {
          chainMs: { 1: pick(c1!), 3: pick(c3!), 20: pick(c20!) },
          marginalPerTaskMsP50: round(marginal),
          hopMs: pick(hop),
          engineCpuUsPerTask: round(m.cpuUs / Math.max(1, m.tasks), 1),
          ratios: {
            marginalToRawRoundTrip: round(marginal / ref.rawWsRoundTripMs.p50, 2),
            marginalToStorageCommit: round(marginal / ref.storageCommitMs.p50, 2),
            hopP99ToRawRoundTripP99: round(hop.p99 / ref.rawWsRoundTripMs.p99, 2),
            chain1ToStorageCommit: round(c1!.p50 / ref.storageCommitMs.p50, 2),
          },
          targets: {
            marginalPerTaskMs: benchStorage === 'sqlite' ? 0.5 : 0.7,
            hopP99Ms: 1.5,
            chain1P50Ms: 2,
            chain3P50Ms: 4,
          },
        },
      ];
    }),
  );
  const result: Record<string, unknown> = {
    phase: 'chains',
    storage: benchStorage,
    rounds: ROUNDS,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    reference: ref,
    ...perSubject,
  };
  if (subjects.length === 2) {
    const cur = perSubject.current as { marginalPerTaskMsP50: number; hopMs: { p99: number }; chainMs: Record<number, { p50: number }>; engineCpuUsPerTask: number };
    const base = perSubject.baseline as typeof cur;
    result.currentToBaseline = {
      chain1P50: round(cur.chainMs[1]!.p50 / base.chainMs[1]!.p50, 3),
      chain3P50: round(cur.chainMs[3]!.p50 / base.chainMs[3]!.p50, 3),
      chain20P50: round(cur.chainMs[20]!.p50 / base.chainMs[20]!.p50, 3),
      marginalPerTask: round(cur.marginalPerTaskMsP50 / base.marginalPerTaskMsP50, 3),
      hopP99: round(cur.hopMs.p99 / base.hopMs.p99, 3),
      engineCpuPerTask: round(cur.engineCpuUsPerTask / base.engineCpuUsPerTask, 3),
    };
  }
  return result;
}

const pick = (s: { p50: number; p99: number; n: number }) => ({ p50: round(s.p50), p99: round(s.p99), n: s.n });

async function sustained(): Promise<Record<string, unknown>> {
  const loadAtStart = loadAverage();
  const rawWs = await measureRawWsThroughput();
  const subject = await startSubject('current');
  const pid = subject.engine.child.pid;
  subject.arrivals = null;
  const submittedAt = new Map<string, number>();
  const early = new Set<string>();
  const latencies: { at: number; ms: number }[] = [];
  let submitted = 0;
  let rejected = 0;
  let lastCompletionAt = 0;
  let isSubmitting = true;
  let drained: () => void = () => undefined;
  const checkDrained = () => {
    if (!isSubmitting && latencies.length + rejected >= submitted) drained();
  };
  subject.onCompleted = (id, now) => {
    const start = submittedAt.get(id);
    if (start === undefined) return void early.add(id); // the webhook beat the POST's response
    submittedAt.delete(id);
    latencies.push({ at: now, ms: now - start });
    lastCompletionAt = now;
    checkDrained();
  };
  const body = diamondBody(subject.serviceId);
  const apiKey = subject.apiKey;
  const pool = new Pool(subject.engine.url, { connections: 16, pipelining: 1 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
  const rss: { s: number; mib: number }[] = [];
  const cpuBefore = processCpuUs(pid);
  const startedAt = performance.now();
  const endAt = startedAt + SUSTAINED_S * 1000;
  const sampler = setInterval(() => rss.push({ s: round((performance.now() - startedAt) / 1000, 1), mib: round(rssKb(pid) / 1024, 1) }), 1000);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= endAt) return resolve();
      const due = Math.floor(((now - startedAt) / 1000) * SUSTAINED_RATE);
      while (submitted < due) {
        submitted += 1;
        const t0 = performance.now();
        void pool.request({ path: '/orchestrations', method: 'POST', headers, body }).then(
          async (res) => {
            const text = await res.body.text();
            if (res.statusCode !== 202) return void ((rejected += 1), checkDrained());
            const id = (JSON.parse(text) as { id: string }).id;
            if (!early.delete(id)) return void submittedAt.set(id, t0);
            const now = performance.now();
            latencies.push({ at: now, ms: now - t0 });
            lastCompletionAt = now;
            checkDrained();
          },
          () => void ((rejected += 1), checkDrained()),
        );
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  // Let the backlog drain (event-driven), at most 60 s.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    drained = () => {
      clearTimeout(timer);
      resolve();
    };
    isSubmitting = false;
    checkDrained();
  });
  clearInterval(sampler);
  // Counted before the pool is destroyed (which fails whatever is still queued).
  const completed = latencies.length;
  const rejectedByEngine = rejected;
  const unfinished = submitted - completed - rejected;
  const cpu = processCpuUs(pid) - cpuBefore;
  const peakMiB = round(rssKb(pid, 'VmHWM') / 1024, 1);
  // destroy, not close: close waits for every request still queued, which an overloaded engine may not
  // answer for minutes.
  await pool.destroy();
  await subject.shutdown();

  const all = summarize(latencies.map((l) => l.ms));
  const afterFirstMinute = summarize(latencies.filter((l) => l.at - startedAt >= 60_000).map((l) => l.ms));
  const perMinute: { minute: number; p50: number; p99: number; n: number }[] = [];
  for (let m = 0; m * 60 < SUSTAINED_S; m++) {
    const w = summarize(latencies.filter((l) => Math.floor((l.at - startedAt) / 60_000) === m).map((l) => l.ms));
    perMinute.push({ minute: m + 1, p50: round(w.p50), p99: round(w.p99), n: w.n });
  }
  const later = rss.filter((r) => r.s >= Math.min(60, SUSTAINED_S / 5));
  const slope = slopePerMinute(later);
  const seconds = (lastCompletionAt - startedAt) / 1000;
  return {
    phase: 'sustained',
    shape: '5-task diamond, echo services',
    storage: benchStorage,
    offeredRatePerS: SUSTAINED_RATE,
    durationS: SUSTAINED_S,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    submitted,
    completed,
    rejected: rejectedByEngine,
    unfinishedAfterDrain: unfinished,
    orchestrationsPerS: round(completed / seconds, 1),
    endToEndMs: { p50: round(all.p50), p99: round(all.p99), afterFirstMinute: pick(afterFirstMinute) },
    perMinute,
    engineCpuUsPerOrchestration: round(cpu / Math.max(1, completed), 1),
    rssMiB: {
      atFirstMinute: later[0]?.mib ?? null,
      maxAfterFirstMinute: later.length ? Math.max(...later.map((r) => r.mib)) : null,
      end: rss.at(-1)?.mib ?? null,
      peak: peakMiB,
      slopeAfterFirstMinuteMiBPerMin: round(slope, 2),
      samples: rss.filter((_, i) => i % 10 === 0),
    },
    reference: { rawWsEchoRoundTripsPerS: rawWs.perS, ceilingOrchestrationsPerS: round(rawWs.perS / 5, 1) },
    ratioToCeiling: round(completed / seconds / (rawWs.perS / 5), 3),
    targets: { endToEndP99Ms: 100, rssMaxMiB: 300, rssFlatAfterFirstMinute: true },
  };
}

/** Least-squares slope of RSS over time, MiB per minute. */
function slopePerMinute(points: { s: number; mib: number }[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.s, 0) / n;
  const my = points.reduce((a, p) => a + p.mib, 0) / n;
  const num = points.reduce((a, p) => a + (p.s - mx) * (p.mib - my), 0);
  const den = points.reduce((a, p) => a + (p.s - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}

export async function e2e(): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { benchmark: 'e2e', storage: benchStorage };
  if (PHASES.includes('chains')) result.chains = await chains();
  if (PHASES.includes('sustained')) result.sustained = await sustained();
  const file = benchStorage === 'sqlite' ? 'e2e.json' : `e2e-${benchStorage}.json`;
  writeFileSync(new URL(`../results/${file}`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  e2e().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
