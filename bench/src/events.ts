import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cursorOf } from '@orra/protocol';
import { startEngine } from '@orra/engine';
import { OrraClient } from '@orra/sdk';
import { outboxEvents } from './outbox-events.js';
import { round, summarize } from './stats.js';

/**
 * The event log's live paths (issue 12, Benchmarks): how long from an event's commit until a consumer
 * has it, SQLite engine in this process, the consumer in its own (events-client.ts).
 *
 * - **Stream**: `GET /events/stream?after=head`, events committed open-loop at `BENCH_EVENTS_RATE`
 *   (1,000/s) for `BENCH_EVENTS_S` seconds; latency from the commit (the transaction resolving, then
 *   `outbox.wake`, as the runner's afterCommit does) to the client having the frame. Target p99 ≤ 50 ms.
 * - **Long-poll wake-up**: the client loops on `GET /events?after=<cursor>&wait=30`; events committed
 *   20 a second (so the client is nearly always held when one commits); latency from the commit to the
 *   client having the response. Target p99 ≤ 20 ms.
 * - **Reference**, measured in every round next to the engine's runs: a bare node:http server in this
 *   process writing the same kind of frame (an SSE chunk of an envelope of the same size) to the same client
 *   at the same rate, and answering a held long-poll with the same page; latency from the write (or from
 *   the moment the event exists) to the client having it. The ratio engine / reference is what the engine
 *   adds to what any node:http server on this machine pays.
 *
 * Events are produced the way bench/src/webhooks.ts produces them (`engine.store.transaction` +
 * `webhooks.outbox.enqueue`), without orchestrations; one project, no webhook endpoint.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATE = Number(process.env.BENCH_EVENTS_RATE ?? 1000);
const STREAM_S = Number(process.env.BENCH_EVENTS_S ?? 5);
const POLL_RATE = 20;
const POLL_S = Number(process.env.BENCH_POLL_S ?? 10);
const PHASES = (process.env.BENCH_EVENTS_PHASES ?? 'stream,poll').split(',');

type Latency = { events: number; missing: number; p50: number; p99: number; mean: number };

const nowUs = () => Number(process.hrtime.bigint()) / 1e3;
const spread = (xs: number[], digits: number) => ({
  median: round(summarize(xs).p50, digits),
  min: round(Math.min(...xs), digits),
  max: round(Math.max(...xs), digits),
});

function startClient() {
  const child = fork(fileURLToPath(new URL('./events-client.js', import.meta.url)), [], {
    stdio: 'inherit',
    execArgv: [],
  });
  const next = () => new Promise<any>((r) => child.once('message', r));
  return {
    async open(cmd: 'sse' | 'poll', url: string, headers: Record<string, string>) {
      const ready = next();
      child.send({ cmd, url, headers });
      const m = await ready;
      if (m.error || (m.status && m.status !== 200)) throw new Error(`client: ${m.error ?? m.status}`);
    },
    async stop(): Promise<Map<string, number>> {
      const taken = next();
      child.send({ cmd: 'stop' });
      return new Map((await taken).arrivals);
    },
    end: () => child.disconnect(),
  };
}

/** Runs `emit` `rate` times a second for `seconds` (open loop, 1 ms ticks). */
function openLoop(rate: number, seconds: number, emit: () => void): Promise<number> {
  let emitted = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= end) return resolve(emitted);
      const due = Math.floor(((now - t0) / 1000) * rate);
      for (; emitted < due; emitted++) emit();
      setTimeout(tick, 1);
    };
    tick();
  });
}

function latencies(sent: Map<string, number>, arrived: Map<string, number>): Latency {
  const samples: number[] = [];
  for (const [id, at] of sent) {
    const a = arrived.get(id);
    if (a !== undefined) samples.push((a - at) / 1000);
  }
  const s = summarize(samples.slice(Math.floor(samples.length / 20))); // the first 5 % warm up
  return {
    events: sent.size,
    missing: sent.size - samples.length,
    p50: round(s.p50),
    p99: round(s.p99),
    mean: round(s.mean),
  };
}

export async function events(): Promise<Record<string, unknown>> {
  const loadBefore = loadavg().map((l) => round(l, 2));
  const dir = mkdtempSync(join(tmpdir(), 'orra-bench-events-'));
  const engine = await startEngine({ env: {}, overrides: { port: 0, dataDir: dir, logLevel: 'warn' } });
  const project = (await new OrraClient({ baseUrl: engine.url }).registerProject({ name: 'bench' })) as {
    id: string;
    apiKey: string;
  };
  const auth = { authorization: `Bearer ${project.apiKey}` };
  const { outbox } = engine.webhooks;
  const client = startClient();

  const nextEvent = outboxEvents(project.id);
  const sent = new Map<string, number>();
  const commit = (): void => {
    const event = nextEvent();
    void engine.store
      .transaction((tx) => outbox.enqueue(tx, event))
      .then((enqueued) => {
        sent.set(event.eventId, nowUs());
        outbox.wake(enqueued);
      });
  };

  // The reference: a bare node:http server sending what the engine sends (an envelope of the same shape).
  let refSeq = 0;
  const refEnvelope = () => {
    const event = nextEvent();
    refSeq += 1;
    const id = `ref-${refSeq}`;
    const envelope = {
      specversion: '1.0',
      id,
      source: `/projects/${project.id}`,
      type: event.type,
      subject: event.subject,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      sequence: cursorOf(refSeq),
      data: event.payload,
    };
    return { id, cursor: cursorOf(refSeq), envelope };
  };
  let refStream: ServerResponse | undefined;
  let heldPoll: ServerResponse | undefined;
  let queued: ReturnType<typeof refEnvelope>[] = [];
  const answerPoll = (res: ServerResponse, page: ReturnType<typeof refEnvelope>[]) => {
    const last = page.at(-1)!.cursor;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(
        JSON.stringify({
          data: page.map((e) => e.envelope),
          next_cursor: last,
          has_more: false,
          head_cursor: last,
        }),
      );
  };
  const reference = createServer((req, res) => {
    if (req.url?.startsWith('/events/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      refStream = res;
      req.on('close', () => (refStream = undefined));
      return;
    }
    if (queued.length > 0) {
      answerPoll(res, queued);
      queued = [];
    } else heldPoll = res;
  });
  await new Promise<void>((r) => reference.listen(0, '127.0.0.1', r));
  const refUrl = `http://127.0.0.1:${(reference.address() as { port: number }).port}`;
  const refStreamEvent = () => {
    const e = refEnvelope();
    sent.set(e.id, nowUs());
    refStream?.write(`id: ${e.cursor}\nevent: ${e.envelope.type}\ndata: ${JSON.stringify(e.envelope)}\n\n`);
  };
  const refPollEvent = () => {
    const e = refEnvelope();
    sent.set(e.id, nowUs());
    if (heldPoll) {
      const res = heldPoll;
      heldPoll = undefined;
      answerPoll(res, [e]);
    } else queued.push(e);
  };

  const measure = async (
    cmd: 'sse' | 'poll',
    url: string,
    headers: Record<string, string>,
    rate: number,
    seconds: number,
    emit: () => void,
  ) => {
    await client.open(cmd, url, headers);
    sent.clear();
    await openLoop(rate, seconds, emit);
    await new Promise((r) => setTimeout(r, 500)); // the last events arrive
    return latencies(sent, await client.stop());
  };

  type Round = Partial<Record<'refStream' | 'stream' | 'refPoll' | 'poll', Latency>>;
  const rounds: Round[] = [];
  // One warm-up pass of each, not counted.
  if (PHASES.includes('stream'))
    await measure('sse', `${engine.url}/events/stream?after=head`, auth, RATE, 1, commit);
  for (let r = 0; r < ROUNDS; r++) {
    const x: Round = {};
    if (PHASES.includes('stream')) {
      x.refStream = await measure('sse', `${refUrl}/events/stream`, {}, RATE, STREAM_S, refStreamEvent);
      x.stream = await measure('sse', `${engine.url}/events/stream?after=head`, auth, RATE, STREAM_S, commit);
    }
    if (PHASES.includes('poll')) {
      x.refPoll = await measure('poll', `${refUrl}/events?wait=30`, {}, POLL_RATE, POLL_S, refPollEvent);
      x.poll = await measure(
        'poll',
        `${engine.url}/events?wait=30&limit=500`,
        auth,
        POLL_RATE,
        POLL_S,
        commit,
      );
    }
    rounds.push(x);
    const show = (l?: Latency) =>
      l ? `p50 ${l.p50} p99 ${l.p99} ms (${l.events}, ${l.missing} missing)` : '-';
    process.stderr.write(
      `round ${r + 1}: stream ${show(x.stream)} | ref ${show(x.refStream)} ; poll ${show(x.poll)} | ref ${show(x.refPoll)}\n`,
    );
  }

  const figures = (engineKey: 'stream' | 'poll', refKey: 'refStream' | 'refPoll') => {
    const paired = rounds.filter((x) => x[engineKey] && x[refKey]);
    if (paired.length === 0) return undefined;
    return {
      p50Ms: spread(
        paired.map((x) => x[engineKey]!.p50),
        2,
      ),
      p99Ms: spread(
        paired.map((x) => x[engineKey]!.p99),
        2,
      ),
      referenceP50Ms: spread(
        paired.map((x) => x[refKey]!.p50),
        2,
      ),
      referenceP99Ms: spread(
        paired.map((x) => x[refKey]!.p99),
        2,
      ),
      p99ToReference: spread(
        paired.map((x) => x[engineKey]!.p99 / Math.max(0.001, x[refKey]!.p99)),
        1,
      ),
      missing: paired.reduce((s, x) => s + x[engineKey]!.missing, 0),
    };
  };
  const result = {
    loadAverage: { before: loadBefore, after: loadavg().map((l) => round(l, 2)) },
    rounds: ROUNDS,
    streamAt: { offeredPerS: RATE, seconds: STREAM_S, ...figures('stream', 'refStream') },
    longPollWake: { offeredPerS: POLL_RATE, seconds: POLL_S, ...figures('poll', 'refPoll') },
    perRound: rounds,
  };
  client.end();
  reference.closeAllConnections();
  await new Promise((r) => reference.close(r));
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  writeFileSync(new URL('../results/events.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(await events(), null, 2)}\n`);
}
