import { OrraClient } from '@orra/sdk';
import { listenForCompletions } from './completion-receiver.js';
import { startEcho } from './echo-service.js';
import { startEngineChild } from './engine-child.js';
import { percentile, round } from './stats.js';

/**
 * Where a chain's time goes, seen from the application: `POST /orchestrations` sent → its first task at
 * the service → the POST's answer → the completion webhook. Chains run one after another with
 * `BENCH_GAP_MS` (0) of idle between them, so the same run can show what idling costs on this machine
 * (e2e.ts measures its chain of 1 right after its references, an idle engine).
 *
 * `BENCH_SDK_BASELINE=<another SDK build's dist/index.js>` submits every other chain with that build's
 * `OrraClient` (the engine, service and receiver are the same): an A/B of the client in one run, reported
 * as `currentToBaseline`. `BENCH_CHAIN` (1) tasks per chain, `BENCH_RUNS` (500) chains per client.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 500);
const WARMUP = 20;
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 0);
const LENGTH = Number(process.env.BENCH_CHAIN ?? 1);

type Client = Pick<OrraClient, 'createOrchestration'>;
type Split = { toFirstTask: number; answered: number; lastTaskToWebhook: number; total: number };

export async function chainSplit(): Promise<Record<string, unknown>> {
  const engine = await startEngineChild({});
  const project = (await new OrraClient({ baseUrl: engine.url }).registerProject({ name: 'bench' })) as { apiKey: string };
  const options = { baseUrl: engine.url, apiKey: project.apiKey };
  const clients: [string, Client][] = [['current', new OrraClient(options)]];
  const baselinePath = process.env.BENCH_SDK_BASELINE;
  if (baselinePath) {
    const { OrraClient: Baseline } = (await import(baselinePath)) as { OrraClient: typeof OrraClient };
    clients.push(['baseline', new Baseline(options)]);
  }
  let onCompleted: (at: number) => void = () => undefined;
  const stopReceiver = await listenForCompletions(new OrraClient(options), () => onCompleted(performance.now()));
  let onTask: (at: number) => void = () => undefined;
  const echo = await startEcho(engine.url, project.apiKey, () => onTask(performance.now()));
  const serviceId = echo.info.id as string;
  const tasks = Array.from({ length: LENGTH }, (_, i) => ({ id: `task${i + 1}`, service: serviceId, input: { v: `$task${i}.v` } }));
  const body = { action: { content: `chain of ${LENGTH}` }, data: [{ field: 'v', value: 'hello' }], plan: { tasks } };

  const samples = new Map<string, Split[]>(clients.map(([label]) => [label, []]));
  for (let i = 0; i < WARMUP + RUNS; i++) {
    for (const [label, client] of i % 2 === 0 ? clients : [...clients].reverse()) {
      if (GAP_MS > 0) await new Promise((r) => setTimeout(r, GAP_MS));
      const arrivals: number[] = [];
      const allArrived = new Promise<void>((resolve) => {
        onTask = (at) => {
          arrivals.push(at);
          if (arrivals.length === LENGTH) resolve();
        };
      });
      const completed = new Promise<number>((resolve) => (onCompleted = resolve));
      const start = performance.now();
      const answered = await client.createOrchestration(body as never).then(() => performance.now());
      const [doneAt] = await Promise.all([completed, allArrived]);
      if (i < WARMUP) continue;
      samples.get(label)!.push({
        toFirstTask: arrivals[0]! - start,
        answered: answered - start,
        lastTaskToWebhook: doneAt - arrivals[LENGTH - 1]!,
        total: doneAt - start,
      });
    }
  }
  await echo.shutdown();
  await engine.stop();
  await stopReceiver();

  const pick = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)) };
  };
  const figures = Object.fromEntries(
    [...samples].map(([label, xs]) => [
      label,
      Object.fromEntries((['toFirstTask', 'answered', 'lastTaskToWebhook', 'total'] as const).map((k) => [`${k}Ms`, pick(xs.map((x) => x[k]))])),
    ]),
  ) as Record<string, Record<string, { p50: number }>>;
  const result: Record<string, unknown> = { benchmark: 'chain-split', chain: LENGTH, runs: RUNS, gapMs: GAP_MS, ...figures };
  if (figures.baseline) {
    result.currentToBaseline = Object.fromEntries(
      Object.keys(figures.current!).map((k) => [`${k}P50`, round(figures.current![k]!.p50 / figures.baseline![k]!.p50, 3)]),
    );
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await chainSplit(), null, 2));
