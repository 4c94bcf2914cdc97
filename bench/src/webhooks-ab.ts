import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { startEngine as StartEngine } from '@orra/engine';
import { OrraClient } from '@orra/sdk';
import { Pool } from 'undici';
import { outboxEvents } from './outbox-events.js';
import { round, summarize } from './stats.js';

/**
 * A/B of two engine builds' webhook delivery in ONE process: both engines started side by side (each with
 * its own SQLite database, project and endpoint) sending to one receiver process, and every round runs a
 * plain undici loop, then each build's phase in turn (who goes first alternates). Separate runs of
 * webhooks.ts could not tell a 10 % change: the plain loop alone moved 2× between runs on this shared
 * machine. Here both builds see the same minute, so the per-round quotient B ÷ A is what to read.
 *
 * `BENCH_BASELINE_DIST=<dir>` (A, required: a copy of packages/engine/dist placed under
 * packages/engine/node_modules/ so that it resolves the same dependencies), `BENCH_ENGINE_DIST` (B, default
 * this tree's packages/engine/dist), `BENCH_ROUNDS` (8), `BENCH_WEBHOOK_PHASES` (`drain,live`),
 * `BENCH_WEBHOOK_BACKLOG` (20,000), `BENCH_DURATION_S` (4 s per live and plain phase).
 * Same event production as webhooks.ts (outbox.enqueue in store.transaction, then wake).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const PHASES = (process.env.BENCH_WEBHOOK_PHASES ?? 'drain,live').split(',') as ('drain' | 'live')[];
const BACKLOG = Number(process.env.BENCH_WEBHOOK_BACKLOG ?? 20_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const CONNECTIONS = 16;
const WINDOW = 1024;

type Rate = { perS: number; cpuUsPer: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

async function startBuild(dist: string, url: string) {
  const { startEngine } = (await import(join(dist, 'app.js'))) as { startEngine: typeof StartEngine };
  const dir = mkdtempSync(join(tmpdir(), 'orra-bench-webhooks-ab-'));
  const engine = await startEngine({ env: {}, overrides: { port: 0, dataDir: dir, logLevel: 'warn' } });
  const project = (await new OrraClient({ baseUrl: engine.url }).registerProject({ name: 'bench' })) as { id: string; apiKey: string };
  await new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey }).request('POST', '/webhooks', { url });
  const counter = engine.metrics.registry.getSingleMetric('orra_webhook_deliveries_total') as unknown as {
    get(): Promise<{ values: { value: number; labels: { outcome?: string } }[] }>;
  };
  const delivered = async () => (await counter.get()).values.find((v) => v.labels.outcome === 'succeeded')?.value ?? 0;
  const waitDelivered = async (target: number) => {
    const deadline = performance.now() + 120_000;
    while ((await delivered()) < target) {
      if (performance.now() > deadline) throw new Error(`only ${await delivered()} of ${target} deliveries recorded`);
      await sleep(2);
    }
  };
  const { outbox } = engine.webhooks;
  let enqueued = 0;
  const nextEvent = outboxEvents(project.id);
  const phases: Record<'drain' | 'live', () => Promise<Rate>> = {
    drain: async () => {
      await waitDelivered(enqueued);
      for (let i = 0; i < BACKLOG; i += 500) {
        await engine.store.transaction(async (tx) => {
          for (let j = 0; j < Math.min(500, BACKLOG - i); j++) await outbox.enqueue(tx, nextEvent());
        });
      }
      enqueued += BACKLOG;
      const cpu0 = cpuUs();
      const t0 = performance.now();
      outbox.wake();
      await waitDelivered(enqueued);
      return { perS: BACKLOG / ((performance.now() - t0) / 1000), cpuUsPer: (cpuUs() - cpu0) / BACKLOG };
    },
    live: async () => {
      await waitDelivered(enqueued);
      const d0 = await delivered();
      const cpu0 = cpuUs();
      const t0 = performance.now();
      const end = t0 + DURATION_S * 1000;
      let recorded = d0;
      while (performance.now() < end) {
        const room = Math.min(64, WINDOW - (enqueued - recorded));
        for (let i = 0; i < room; i++) {
          const event = nextEvent();
          enqueued += 1;
          void engine.store.transaction((tx) => outbox.enqueue(tx, event)).then((e) => outbox.wake(e));
        }
        await sleep(1);
        recorded = await delivered();
      }
      const count = recorded - d0;
      return { perS: count / ((performance.now() - t0) / 1000), cpuUsPer: (cpuUs() - cpu0) / count };
    },
  };
  return {
    phases,
    close: async () => {
      await waitDelivered(enqueued);
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function plain(origin: string, path: string): Promise<Rate> {
  const pool = new Pool(origin, { connections: CONNECTIONS });
  const body = JSON.stringify({ event_id: 'raw', data: 'x'.repeat(300) });
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'orra/1.0',
    'x-orra-event': 'orchestration.completed',
    'webhook-id': 'raw',
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${'A'.repeat(43)}=`,
  };
  let count = 0;
  const send = async () => {
    const res = await pool.request({ path, method: 'POST', headers, body });
    await res.body.arrayBuffer();
    count += 1;
  };
  await Promise.all(Array.from({ length: CONNECTIONS * 4 }, send));
  count = 0;
  const cpu0 = cpuUs();
  const t0 = performance.now();
  const end = t0 + DURATION_S * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => { while (performance.now() < end) await send(); }));
  const rate = { perS: count / ((performance.now() - t0) / 1000), cpuUsPer: (cpuUs() - cpu0) / count };
  await pool.close();
  return rate;
}

export async function webhooksAb(): Promise<Record<string, unknown>> {
  const baselineDist = process.env.BENCH_BASELINE_DIST;
  if (!baselineDist) throw new Error('BENCH_BASELINE_DIST=<a copy of packages/engine/dist> is required');
  const currentDist = process.env.BENCH_ENGINE_DIST ?? fileURLToPath(new URL('../../packages/engine/dist', import.meta.url));
  const child = fork(fileURLToPath(new URL('./webhook-receiver.js', import.meta.url)), [], { stdio: 'inherit', execArgv: [] });
  const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
  const origin = `http://127.0.0.1:${port}`;
  const builds = { A: await startBuild(baselineDist, `${origin}/hooks`), B: await startBuild(currentDist, `${origin}/hooks`) };
  const rounds: { load: number; plain: Rate; A: Partial<Record<string, Rate>>; B: Partial<Record<string, Rate>> }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const);
    const row: (typeof rounds)[number] = { load: round(loadavg()[0]!, 2), plain: await plain(origin, '/hooks'), A: {}, B: {} };
    for (const phase of PHASES) for (const k of order) row[k][phase] = await builds[k].phases[phase]();
    rounds.push(row);
    const show = (x?: Rate) => (x ? `${Math.round(x.perS)}/s (${(x.perS / row.plain.perS).toFixed(2)}) ${Math.round(x.cpuUsPer)} µs` : '-');
    process.stderr.write(`round ${r + 1} (load ${row.load}): plain ${Math.round(row.plain.perS)}/s, ${PHASES.map((p) => `${p} A ${show(row.A[p])} B ${show(row.B[p])}`).join(', ')}\n`);
  }
  await builds.A.close();
  await builds.B.close();
  child.disconnect();
  const median = (xs: number[]) => round(summarize(xs).p50, 3);
  const figures = Object.fromEntries(
    PHASES.map((p) => [
      p,
      {
        ratioToPlainA: median(rounds.map((x) => x.A[p]!.perS / x.plain.perS)),
        ratioToPlainB: median(rounds.map((x) => x.B[p]!.perS / x.plain.perS)),
        bToA: median(rounds.map((x) => x.B[p]!.perS / x.A[p]!.perS)),
        roundsBFaster: rounds.filter((x) => x.B[p]!.perS > x.A[p]!.perS).length,
        cpuUsPerDeliveryA: median(rounds.map((x) => x.A[p]!.cpuUsPer)),
        cpuUsPerDeliveryB: median(rounds.map((x) => x.B[p]!.cpuUsPer)),
      },
    ]),
  );
  return { benchmark: 'webhooks-ab', baselineDist, currentDist, rounds: ROUNDS, loadAverage: rounds.map((x) => x.load), plainPerS: median(rounds.map((x) => x.plain.perS)), ...figures };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  webhooksAb().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
