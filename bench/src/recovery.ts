import { writeFileSync } from 'node:fs';
import { initService, OrraClient } from '@orra/sdk';
import { startEngineChild } from './engine-child.js';
import { round } from './stats.js';
import { listenForCompletions } from './completion-receiver.js';

/**
 * Recovery: 1,000 three-task orchestrations in flight, the engine killed with SIGKILL, restarted on the
 * same database. Measures the time until it accepts requests again and until every orchestration has
 * completed (seen through its `orchestration.completed` webhook), and counts handler runs per
 * idempotency key: a duplicate execution would show as a key run twice (must be 0). The reference is the
 * time the same engine takes to start on an empty database, measured in the same run.
 */
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 1000);

export async function recovery(): Promise<Record<string, unknown>> {
  const empty = await startEngineChild();
  const emptyStartMs = empty.startupMs;
  await empty.stop();

  let engine = await startEngineChild();
  const admin = new OrraClient({ baseUrl: engine.url });
  const project = (await admin.registerProject({ name: 'bench' })) as { apiKey: string };
  const client = new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey });
  const completed = new Set<string>();
  let allDone: () => void = () => undefined;
  const stopReceiver = await listenForCompletions(client, (orchestrationId) => {
    completed.add(orchestrationId);
    if (completed.size >= IN_FLIGHT) allDone();
  });

  const runsByKey = new Map<string, number>();
  let id: string | null = null;
  const slow = initService({
    name: 'slow-echo',
    orraUrl: engine.url,
    orraKey: project.apiKey,
    persistenceOpts: { method: 'custom', customSave: async (s: string) => void (id = s), customLoad: async () => id },
    reconnectBackoff: { initialDelayMs: 100, maxDelayMs: 500 },
  } as never);
  await slow.register({
    description: 'echo after a pause',
    schema: { input: { type: 'object', properties: { v: { type: 'string' } } }, output: { type: 'object', properties: { v: { type: 'string' } } } },
  });
  slow.start(async (task) => {
    runsByKey.set(task.idempotencyKey, (runsByKey.get(task.idempotencyKey) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 500));
    return { v: (task.input as { v: string }).v };
  });
  const svc = slow.info.id;
  const plan = {
    tasks: [
      { id: 'task1', service: svc, input: { v: '$task0.v' } },
      { id: 'task2', service: svc, input: { v: '$task1.v' } },
      { id: 'task3', service: svc, input: { v: '$task2.v' } },
    ],
  };
  for (let i = 0; i < IN_FLIGHT; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, IN_FLIGHT - i) }, () =>
        client.createOrchestration({ action: { content: 'recover me' }, data: [{ field: 'v', value: 'x' }], plan } as never),
      ),
    );
  }
  const doneBeforeKill = completed.size;
  const killedAt = performance.now();
  await engine.kill();
  engine = await startEngineChild({}, engine);
  const acceptingMs = performance.now() - killedAt;
  await new Promise<void>((resolve) => {
    allDone = resolve;
    if (completed.size >= IN_FLIGHT) resolve();
    setTimeout(resolve, 120_000).unref();
  });
  const finishedMs = performance.now() - killedAt;
  const duplicates = [...runsByKey.values()].filter((n) => n > 1).length;
  await slow.shutdown();
  await engine.stop();
  await stopReceiver();

  const result = {
    benchmark: 'recovery',
    inFlightAtKill: IN_FLIGHT - doneBeforeKill,
    emptyEngineStartMs: round(emptyStartMs, 1),
    killToAcceptingRequestsMs: round(acceptingMs, 1),
    acceptingToEmptyStartRatio: round(acceptingMs / emptyStartMs, 2),
    killToAllCompletedMs: round(finishedMs, 1),
    completed: completed.size,
    duplicateTaskExecutions: duplicates,
    targetRecoveryMs: 2000,
  };
  writeFileSync(new URL('../results/recovery.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  recovery().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
