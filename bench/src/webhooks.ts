import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEngine } from '@orra/engine';
import { OrraClient } from '@orra/sdk';
import { Pool } from 'undici';
import { profiled } from './cpu-profile.js';
import { outboxEvents } from './outbox-events.js';
import { round, summarize } from './stats.js';

/**
 * Webhook delivery, durable on SQLite, to a plain receiver: node:http on loopback answering 200, in its own
 * process (webhook-receiver.ts) so that it has the second core and does not take the engine's.
 *
 * - The limit: a plain POST loop over an undici `Pool` (16 connections, the engine's default per-endpoint
 *   concurrency) sending the same body and header set to the same receiver. Measured in every round, next
 *   to the durable runs, and each durable figure is a ratio to its own round's plain loop.
 * - Durable deliveries/s, two ways. `drain`: a committed backlog, then one wake (the delivery pipeline
 *   alone: read, sign, send, record). `live`: events committed while sending, each in its own transaction,
 *   at most WINDOW undelivered (the pipeline plus the outbox writes that feed it).
 * - Event-to-first-attempt latency: from the commit of the event (its transaction resolving) to the
 *   receiver parsing the request head, on the machine-wide monotonic clock. Open loop at 1,000 and 2,000
 *   events/s, and at the saturating rate (the median `live` rate).
 *
 * Events are produced in the engine's process the way the orchestration runner produces them, without
 * orchestrations (those top out far below these rates, see throughput.ts): `engine.webhooks.outbox.enqueue`
 * inside `engine.store.transaction` (group-committed with the other transactions of its event-loop turn),
 * then `outbox.wake(enqueued)` once it has committed, as the runner's afterCommit does (the backlog of
 * `drain` is woken with a bare `wake()`, as after a restart). One project, one endpoint.
 * The engine's CPU per delivery therefore includes producing the events (payload, transaction, commit).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const BACKLOG = Number(process.env.BENCH_WEBHOOK_BACKLOG ?? 20_000);
const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 10);
const PHASES = (process.env.BENCH_WEBHOOK_PHASES ?? 'plain,drain,live,latency').split(',');
const CONNECTIONS = 16;
/** Live: committed events not yet recorded as delivered, at most. */
const WINDOW = 1024;

type Rate = { perS: number; cpuUsPer: number };

const nowUs = () => Number(process.hrtime.bigint()) / 1e3;
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const spread = (xs: number[], digits: number) => ({
  median: round(summarize(xs).p50, digits),
  min: round(Math.min(...xs), digits),
  max: round(Math.max(...xs), digits),
});

interface Taken {
  requests: number;
  duplicates: number;
  firsts: [string, number][];
}

async function startReceiver() {
  const child = fork(fileURLToPath(new URL('./webhook-receiver.js', import.meta.url)), [], { stdio: 'inherit', execArgv: [] });
  const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
  const take = () =>
    new Promise<Taken>((resolve) => {
      child.once('message', resolve as (m: unknown) => void);
      child.send({ cmd: 'take' });
    });
  return { origin: `http://127.0.0.1:${port}`, path: '/hooks', take, stop: () => child.disconnect() };
}

export async function webhooks(): Promise<Record<string, unknown>> {
  const load = loadavg().map((l) => round(l, 2));
  const receiver = await startReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'orra-bench-webhooks-'));
  const engine = await startEngine({ env: {}, overrides: { port: 0, dataDir: dir, logLevel: 'warn' } });
  const project = (await new OrraClient({ baseUrl: engine.url }).registerProject({ name: 'bench' })) as { id: string; apiKey: string };
  await new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey }).request('POST', '/webhooks', { url: receiver.origin + receiver.path });
  const { outbox } = engine.webhooks;

  // Deliveries whose success has committed: the engine's counter moves after that commit.
  const counter = engine.metrics.registry.getSingleMetric('orra_webhook_deliveries_total') as unknown as {
    get(): Promise<{ values: { value: number; labels: { outcome?: string } }[] }>;
  };
  const delivered = async () => (await counter.get()).values.find((v) => v.labels.outcome === 'succeeded')?.value ?? 0;
  let enqueued = 0;
  const waitDelivered = async (target: number) => {
    const deadline = performance.now() + 120_000;
    while ((await delivered()) < target) {
      if (performance.now() > deadline) throw new Error(`only ${await delivered()} of ${target} deliveries recorded`);
      await sleep(2);
    }
  };

  const nextEvent = outboxEvents(project.id);
  const commitAt = new Map<string, number>();
  const commitEvent = (isTimed: boolean): void => {
    const event = nextEvent();
    enqueued += 1;
    void engine.store
      .transaction((tx) => outbox.enqueue(tx, event))
      .then((enqueued) => {
        if (isTimed) commitAt.set(event.eventId, nowUs());
        outbox.wake(enqueued);
      });
  };

  // The plain loop sends what a delivery sends: the same body bytes and header set (a fixed signature).
  const sample = nextEvent();
  const plainBody = JSON.stringify(sample.payload);
  const plainHeaders = {
    'content-type': 'application/json',
    'user-agent': 'orra/1.0',
    'x-orra-event': sample.type,
    'webhook-id': 'raw',
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${'A'.repeat(43)}=`,
  };
  const plain = async (isProfiled: boolean): Promise<Rate> => {
    const pool = new Pool(receiver.origin, { connections: CONNECTIONS });
    let count = 0;
    const send = async () => {
      const res = await pool.request({ path: receiver.path, method: 'POST', headers: plainHeaders, body: plainBody });
      await res.body.arrayBuffer();
      count += 1;
    };
    await Promise.all(Array.from({ length: CONNECTIONS * 4 }, send)); // connect and warm up
    count = 0;
    const rate = await profiled('webhooks-plain', isProfiled, async () => {
      const cpu0 = cpuUs();
      const t0 = performance.now();
      const end = t0 + DURATION_S * 1000;
      await Promise.all(Array.from({ length: CONNECTIONS }, async () => { while (performance.now() < end) await send(); }));
      return { perS: count / ((performance.now() - t0) / 1000), cpuUsPer: (cpuUs() - cpu0) / count };
    });
    await pool.close();
    return rate;
  };

  const drain = async (isProfiled: boolean): Promise<Rate> => {
    await waitDelivered(enqueued);
    for (let i = 0; i < BACKLOG; i += 500) {
      await engine.store.transaction(async (tx) => {
        for (let j = 0; j < Math.min(500, BACKLOG - i); j++) await outbox.enqueue(tx, nextEvent());
      });
    }
    enqueued += BACKLOG;
    return profiled('webhooks-drain', isProfiled, async () => {
      const cpu0 = cpuUs();
      const t0 = performance.now();
      outbox.wake();
      await waitDelivered(enqueued);
      return { perS: BACKLOG / ((performance.now() - t0) / 1000), cpuUsPer: (cpuUs() - cpu0) / BACKLOG };
    });
  };

  const live = async (isProfiled: boolean): Promise<Rate> => {
    await waitDelivered(enqueued);
    const d0 = await delivered();
    return profiled('webhooks-live', isProfiled, async () => {
      const cpu0 = cpuUs();
      const t0 = performance.now();
      const end = t0 + DURATION_S * 1000;
      let recorded = d0;
      // Each millisecond, top the undelivered events up to WINDOW (at most 64 new transactions a turn).
      while (performance.now() < end) {
        const room = Math.min(64, WINDOW - (enqueued - recorded));
        for (let i = 0; i < room; i++) commitEvent(false);
        await sleep(1);
        recorded = await delivered();
      }
      const count = recorded - d0;
      return { perS: count / ((performance.now() - t0) / 1000), cpuUsPer: (cpuUs() - cpu0) / count };
    });
  };

  /** Open loop at `rate` events/s; latency from each commit to the receiver parsing the request head. */
  const latency = async (rate: number, seconds: number) => {
    await waitDelivered(enqueued);
    await receiver.take();
    commitAt.clear();
    let submitted = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        if (now >= end) return resolve();
        const due = Math.floor(((now - t0) / 1000) * rate);
        for (; submitted < due; submitted++) commitEvent(true);
        setTimeout(tick, 1);
      };
      tick();
    });
    await waitDelivered(enqueued);
    const arrivals = new Map((await receiver.take()).firsts);
    const samples: number[] = [];
    for (const [id, at] of commitAt) {
      const first = arrivals.get(id);
      if (first !== undefined) samples.push((first - at) / 1000);
    }
    const missing = commitAt.size - samples.length;
    commitAt.clear();
    const s = summarize(samples.slice(Math.floor(samples.length / 20))); // the first 5 % warm up
    return { offeredPerS: round(rate, 0), achievedPerS: round(submitted / seconds, 0), events: submitted, missing, p50: round(s.p50), p99: round(s.p99), mean: round(s.mean) };
  };

  const rounds: Partial<Record<'plain' | 'drain' | 'live', Rate>>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const result: (typeof rounds)[number] = {};
    if (PHASES.includes('plain')) result.plain = await plain(r === 0);
    if (PHASES.includes('drain')) result.drain = await drain(r === 0);
    if (PHASES.includes('live')) result.live = await live(r === 0);
    rounds.push(result);
    const show = (x?: Rate) => (x ? `${Math.round(x.perS)}/s ${Math.round(x.cpuUsPer)} µs` : '-');
    process.stderr.write(`round ${r + 1}: plain ${show(result.plain)}, drain ${show(result.drain)}, live ${show(result.live)}\n`);
  }
  const figures = (name: 'drain' | 'live') => {
    const paired = rounds.filter((x) => x[name]);
    const vsPlain = paired.filter((x) => x.plain);
    return {
      perS: spread(paired.map((x) => x[name]!.perS), 0),
      ratioToPlain: vsPlain.length ? spread(vsPlain.map((x) => x[name]!.perS / x.plain!.perS), 2) : undefined,
      cpuUsPerDelivery: spread(paired.map((x) => x[name]!.cpuUsPer), 1),
      cpuToPlain: vsPlain.length ? spread(vsPlain.map((x) => x[name]!.cpuUsPer / x.plain!.cpuUsPer), 2) : undefined,
    };
  };
  const plainRounds = rounds.filter((x) => x.plain).map((x) => x.plain!);

  let eventToFirstAttemptMs: Record<string, unknown> | undefined;
  if (PHASES.includes('latency')) {
    eventToFirstAttemptMs = { at1000PerS: await latency(1000, LATENCY_S), at2000PerS: await latency(2000, Math.min(LATENCY_S, 5)) };
    // At the saturating rate events come as fast as they are delivered: queueing dominates, and grows
    // with the run and with any slowdown of the machine.
    const liveRate = summarize(rounds.filter((x) => x.live).map((x) => x.live!.perS)).p50;
    if (Number.isFinite(liveRate)) eventToFirstAttemptMs.atSaturating = await latency(liveRate, Math.min(LATENCY_S, 5));
  }

  // At least once (here exactly once): every event recorded as delivered, one request per event.
  await waitDelivered(enqueued);
  const { duplicates } = await receiver.take();
  const pending = await engine.store.webhookDeliveries.list(project.id, { status: 'pending', limit: 1 });
  await engine.close();
  receiver.stop();
  rmSync(dir, { recursive: true, force: true });

  const result = {
    benchmark: 'webhooks',
    storage: 'sqlite',
    events: 'outbox.enqueue in its own store.transaction, then wake(enqueued) (in-process engine, no orchestrations); one endpoint',
    receiver: 'node:http in its own process, 200 with an empty body',
    loadAverageAtStart: load,
    rounds: ROUNDS,
    durationS: DURATION_S,
    plainPost: {
      connections: CONNECTIONS,
      perS: spread(plainRounds.map((x) => x.perS), 0),
      cpuUsPerRequest: spread(plainRounds.map((x) => x.cpuUsPer), 1),
    },
    durableDrain: { backlog: BACKLOG, ...figures('drain') },
    durableLive: { window: WINDOW, ...figures('live') },
    eventToFirstAttemptMs,
    check: { events: enqueued, allRecorded: pending.length === 0, duplicateRequests: duplicates },
    targets: { durableToPlainRatio: 0.5, firstAttemptP99MsAt1000PerS: 10 },
  };
  writeFileSync(new URL('../results/webhooks.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  webhooks().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
