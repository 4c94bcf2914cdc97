import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startEngine, type Engine } from '@orra/engine';
import { OrraClient } from '@orra/sdk';
import pg from 'pg';
import { Pool } from 'undici';
import { diamondBody } from './diamond.js';
import { profiled } from './cpu-profile.js';
import { measureRawWsRoundTrip } from './raw-ws-rtt.js';
import { round, summarize } from './stats.js';
import { startEcho } from './echo-service.js';
import { listenForCompletions } from './completion-receiver.js';

/**
 * Two engine processes on one PostgreSQL schema (engines A and B, in this process, started with
 * `startEngine`; the echo services in this process too). A fresh schema per run, dropped afterwards.
 *
 * - Latency: a chain of 20 echo tasks, the echo service connected to A. `local`: submitted to A, which
 *   sends each task on its own socket. `routed`: submitted to B, which owns the orchestration but holds no
 *   socket of the service, so every task goes B → cluster_dispatch + NOTIFY → A → service, and every result
 *   service → A → cluster_inbox + NOTIFY → B. Runs of the two modes alternate, so both see the same load.
 *   Per task: the "hop" between one task's request reaching the service and the next one's (as in
 *   task-overhead.ts), and the engine overhead = hop − the raw cross-process WebSocket round trip measured
 *   in the same run. A LISTEN on the cluster's channel timestamps the inbox and dispatch notifications,
 *   which splits a routed hop into its three legs.
 * - Throughput (BENCH_CLUSTER_PHASES includes `throughput`): 5-task diamond orchestrations, closed loop
 *   (BENCH_CONCURRENCY in flight), completion seen through `orchestration.completed` webhooks. First one
 *   engine doing the work (echo on A, everything submitted to A; B idle), then two (a second echo instance,
 *   same service id, connected to B; submissions alternate between A and B, and each engine spreads its
 *   tasks over both sockets, so about half of them are routed).
 *
 * Both engines share this process's event loop (and, on a 2-core machine, the cores with PostgreSQL): the
 * two-engine figure measures what the cluster's coordination costs, not what a second machine would add.
 */
const CHAIN = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 40); // per mode
const WARMUP = 5;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PHASES = (process.env.BENCH_CLUSTER_PHASES ?? 'latency,throughput').split(',');
const CHAIN_TIMEOUT_MS = 30_000;

type Mode = 'local' | 'routed';
type Note = { t: string };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
/** Busy and total jiffies of the whole machine (/proc/stat), to tell this process's CPU from PostgreSQL's. */
const machineJiffies = () => {
  const [, ...fields] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/);
  const n = fields.map(Number);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  const total = n.reduce((x, y) => x + y, 0);
  return { busy: total - idle, total };
};

/** BENCH_DATABASE_URL, or the first of root and postgres that logs in to `test` on 127.0.0.1 (trust auth). */
async function pickDatabaseUrl(): Promise<string> {
  const env = process.env.BENCH_DATABASE_URL;
  const candidates = env
    ? [env]
    : ['root', 'postgres'].map((user) => `postgres://${user}@127.0.0.1:5432/test`);
  for (const url of candidates) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return url;
    } catch {
      // the next one
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`no PostgreSQL login among ${candidates.join(', ')}`);
}

function startClusterEngine(databaseUrl: string, databaseSchema: string): Promise<Engine> {
  return startEngine({ env: {}, overrides: { databaseUrl, databaseSchema, port: 0, logLevel: 'silent' } });
}

const hopFigures = (gaps: number[], totals: number[], raw: { p50: number; p99: number }) => {
  const hop = summarize(gaps);
  return {
    hops: hop.n,
    perTaskHopMs: { p50: round(hop.p50), p99: round(hop.p99) },
    engineOverheadPerTaskMs: { p50: round(hop.p50 - raw.p50), p99: round(hop.p99 - raw.p99) },
    chainOf20TotalMs: { p50: round(summarize(totals).p50) },
  };
};

export async function cluster(): Promise<Record<string, unknown>> {
  const load = loadavg().map((l) => round(l, 2));
  const databaseUrl = await pickDatabaseUrl();
  const schema = `orra_bench_cluster_${process.pid}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  // The bench's own LISTEN on the engines' channel (one per schema, `orra_<schema>`): it hears the routed
  // tasks and results when the engines do.
  const notes: { t: string; at: number }[] = [];
  let isListening = false;
  admin.on('notification', (msg) => {
    if (!isListening || !msg.payload) return;
    notes.push({ t: (JSON.parse(msg.payload) as Note).t, at: performance.now() });
  });
  await admin.query(`LISTEN orra_${schema}`);

  const cleanup: (() => Promise<unknown>)[] = [];
  const result: Record<string, unknown> = {
    benchmark: 'cluster',
    storage: 'postgres',
    database: databaseUrl.replace(/:[^:@/]*@/, ':***@'),
    loadAverageAtStart: load,
  };
  try {
    const a = await startClusterEngine(databaseUrl, schema);
    cleanup.push(() => a.close());
    const b = await startClusterEngine(databaseUrl, schema);
    cleanup.push(() => b.close());
    const project = (await new OrraClient({ baseUrl: a.url }).registerProject({ name: 'bench' })) as {
      apiKey: string;
    };
    const clients = {
      local: new OrraClient({ baseUrl: a.url, apiKey: project.apiKey }),
      routed: new OrraClient({ baseUrl: b.url, apiKey: project.apiKey }),
    };

    let onTask: (taskId: string) => void = () => undefined;
    const echoA = await startEcho(a.url, project.apiKey, (task) => onTask(task.id));
    cleanup.push(() => echoA.shutdown());
    const svc = echoA.info.id as string;
    await waitForSockets(admin, schema, 1);

    if (PHASES.includes('latency')) {
      const raw = await measureRawWsRoundTrip();
      const tasks = Array.from({ length: CHAIN }, (_, i) => ({
        id: `task${i + 1}`,
        service: svc,
        input: { v: `$task${i}.v` },
      }));
      const gaps: Record<Mode, number[]> = { local: [], routed: [] };
      const totals: Record<Mode, number[]> = { local: [], routed: [] };
      const legs = {
        resultToInbox: [] as number[],
        inboxToDispatch: [] as number[],
        dispatchToService: [] as number[],
      };
      let localRunsRouted = 0; // tasks of local runs that went through cluster_dispatch: must stay 0
      await profiled('cluster-latency', true, async () => {
        for (let run = 0; run < RUNS; run++) {
          const modes: Mode[] = run % 2 === 0 ? ['local', 'routed'] : ['routed', 'local'];
          for (const mode of modes) {
            const arrivals: number[] = [];
            notes.length = 0;
            isListening = true;
            const finished = new Promise<void>((resolve, reject) => {
              const timer = setTimeout(
                () => reject(new Error(`${mode} chain not done in ${CHAIN_TIMEOUT_MS} ms`)),
                CHAIN_TIMEOUT_MS,
              );
              onTask = (taskId) => {
                arrivals.push(performance.now());
                if (taskId === `task${CHAIN}`) setImmediate(() => (clearTimeout(timer), resolve()));
              };
            });
            finished.catch(() => undefined); // awaited below; this only keeps an early timeout from going unhandled
            const start = performance.now();
            await clients[mode].createOrchestration({
              action: { content: 'echo chain' },
              data: [{ field: 'v', value: 'hello' }],
              plan: { tasks },
            } as never);
            await finished;
            totals[mode].push(performance.now() - start);
            isListening = false;
            if (mode === 'local') localRunsRouted += notes.filter((n) => n.t === 'd').length;
            if (run < WARMUP) continue;
            for (let i = 1; i < arrivals.length; i++) {
              const from = arrivals[i - 1] as number;
              const to = arrivals[i] as number;
              gaps[mode].push(to - from);
              if (mode !== 'routed') continue;
              // One task in flight at a time: between two arrivals, the result's inbox note, then the next task's dispatch note.
              const inbox = notes.find((n) => n.t === 'i' && n.at > from && n.at < to);
              const dispatch = inbox && notes.find((n) => n.t === 'd' && n.at >= inbox.at && n.at < to);
              if (!inbox || !dispatch) continue;
              legs.resultToInbox.push(inbox.at - from);
              legs.inboxToDispatch.push(dispatch.at - inbox.at);
              legs.dispatchToService.push(to - dispatch.at);
            }
          }
        }
      });
      onTask = () => undefined;
      const local = hopFigures(gaps.local, totals.local, raw);
      const routed = hopFigures(gaps.routed, totals.routed, raw);
      const leg = (xs: number[]) => {
        const s = summarize(xs);
        return { p50: round(s.p50), p99: round(s.p99) };
      };
      Object.assign(result, {
        chain: CHAIN,
        runsPerMode: RUNS,
        rawWsRoundTripMs: { p50: round(raw.p50), p99: round(raw.p99) },
        local: { ...local, routedTasks: localRunsRouted },
        routed: {
          ...routed,
          // Service's result reaching A → A's inbox insert committed and notified; B takes it, commits the
          // step, inserts the next task into cluster_dispatch and notifies; A claims it and sends it.
          legsMs: {
            samples: legs.resultToInbox.length,
            serviceToInboxNote: leg(legs.resultToInbox),
            inboxNoteToDispatchNote: leg(legs.inboxToDispatch),
            dispatchNoteToService: leg(legs.dispatchToService),
          },
        },
        routedToLocalRatio: {
          hopP50: round(routed.perTaskHopMs.p50 / local.perTaskHopMs.p50, 2),
          hopP99: round(routed.perTaskHopMs.p99 / local.perTaskHopMs.p99, 2),
          overheadP50: round(routed.engineOverheadPerTaskMs.p50 / local.engineOverheadPerTaskMs.p50, 2),
          overheadP99: round(routed.engineOverheadPerTaskMs.p99 / local.engineOverheadPerTaskMs.p99, 2),
        },
      });
    }

    if (PHASES.includes('throughput')) {
      const phase = await diamondPhases(
        a,
        b,
        project.apiKey,
        svc,
        admin,
        schema,
        notes,
        (on) => (isListening = on),
        cleanup,
      );
      Object.assign(result, { throughput: phase });
    }
  } finally {
    for (const c of cleanup.reverse()) await c().catch((err: unknown) => console.error(err));
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => admin.end());
  }
  writeFileSync(new URL('../results/cluster.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

async function waitForSockets(admin: pg.Client, schema: string, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${schema}.service_sockets`,
    );
    if ((rows[0]?.n ?? 0) >= n) {
      await sleep(300); // and let every engine hear of it
      return;
    }
    await sleep(50);
  }
  throw new Error(`${n} service socket(s) not registered`);
}

/** Closed-loop diamond throughput on one engine, then on two. */
async function diamondPhases(
  a: Engine,
  b: Engine,
  apiKey: string,
  svc: string,
  admin: pg.Client,
  schema: string,
  notes: { t: string }[],
  listen: (on: boolean) => void,
  cleanup: (() => Promise<unknown>)[],
) {
  // Completion through the engines' own webhooks, as in throughput.ts.
  let onCompleted: (orchestrationId: string) => void = () => undefined;
  cleanup.push(
    await listenForCompletions(new OrraClient({ baseUrl: a.url, apiKey }), (id) => onCompleted(id)),
  );
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
  const body = diamondBody(svc);

  const run = async (engines: Engine[]) => {
    const pools = engines.map((e) => new Pool(e.url, { connections: 16, pipelining: 1 }));
    const submittedAt = new Map<string, number>();
    const early = new Set<string>(); // completed before its 202 was read
    const latencies: number[] = [];
    let submitted = 0;
    let rejected = 0;
    let finished = 0;
    let completedInWindow = 0;
    let isSubmitting = true;
    let drained: () => void = () => undefined;
    const startedAt = performance.now();
    const endAt = startedAt + DURATION_S * 1000;
    const complete = (start: number) => {
      const now = performance.now();
      finished += 1;
      if (now <= endAt) {
        completedInWindow += 1;
        latencies.push(now - start);
      }
      if (isSubmitting) submit();
      else if (finished + rejected >= submitted) drained();
    };
    onCompleted = (id) => {
      const start = submittedAt.get(id);
      if (start === undefined) return void early.add(id);
      submittedAt.delete(id);
      complete(start);
    };
    const submit = () => {
      const pool = pools[submitted % pools.length] as Pool;
      submitted += 1;
      const t0 = performance.now();
      const fail = () => {
        rejected += 1;
        if (isSubmitting) setTimeout(submit, 10);
        else if (finished + rejected >= submitted) drained();
      };
      pool.request({ path: '/orchestrations', method: 'POST', headers, body }).then(async (res) => {
        const text = await res.body.text();
        if (res.statusCode !== 202) return fail();
        const id = (JSON.parse(text) as { id: string }).id;
        if (early.delete(id)) complete(t0);
        else submittedAt.set(id, t0);
      }, fail);
    };
    notes.length = 0;
    listen(true);
    const cpu0 = cpuUs();
    const machine0 = machineJiffies();
    for (let i = 0; i < CONCURRENCY; i++) submit();
    await sleep(endAt - performance.now());
    isSubmitting = false;
    listen(false);
    const cpu = cpuUs() - cpu0;
    const machine1 = machineJiffies();
    const wallMs = performance.now() - startedAt;
    const routedTasks = notes.filter((n) => n.t === 'd').length;
    // Let what is in flight finish (at most 30 s) before the next phase.
    await new Promise<void>((resolve) => {
      drained = resolve;
      if (finished + rejected >= submitted) resolve();
      setTimeout(resolve, 30_000).unref();
    });
    await Promise.all(pools.map((p) => p.close()));
    const lat = summarize(latencies);
    return {
      engines: engines.length,
      completed: completedInWindow,
      rejected,
      orchestrationsPerS: round(completedInWindow / DURATION_S, 1),
      tasksPerS: round((completedInWindow * 5) / DURATION_S, 1),
      endToEndMs: { p50: round(lat.p50), p99: round(lat.p99) },
      routedTasks,
      // This process: engines, echo services, load generator and webhook receiver. 100 % = one core.
      benchProcessCpuPercent: round(cpu / 10 / wallMs, 1),
      benchProcessCpuUsPerOrchestration: round(cpu / Math.max(1, completedInWindow), 0),
      machineCpuBusyPercent: round(
        (100 * (machine1.busy - machine0.busy)) / Math.max(1, machine1.total - machine0.total),
        1,
      ),
    };
  };

  const one = await profiled('cluster-throughput-one', true, () => run([a]));
  // A second instance of the echo service, on B: each engine now spreads its tasks over both sockets.
  const echoB = await startEcho(b.url, apiKey, () => undefined, svc);
  cleanup.push(() => echoB.shutdown());
  await waitForSockets(admin, schema, 2);
  const two = await profiled('cluster-throughput-two', true, () => run([a, b]));
  return {
    shape: '5-task diamond, echo services, closed loop',
    durationS: DURATION_S,
    concurrency: CONCURRENCY,
    oneEngine: one,
    twoEngines: two,
    twoToOneRatio: round(two.orchestrationsPerS / one.orchestrationsPerS, 2),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  cluster().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
