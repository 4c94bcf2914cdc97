import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Storage cost of a chain's hop, through the real `SqliteStore` of an engine build: per step, task N
 * completes (its row, a `task_output` and a `task_status` entry) and task N+1 is sent (its row and a
 * `task_status` entry), one transaction each, chains of 20 tasks. Reports CPU and wall µs per step.
 *
 * `BENCH_STEP_SYNC=NORMAL` leaves the fsync out (a measuring device only: the engine always runs FULL), so
 * the statements' own cost shows. `BENCH_ENGINE_DIST=<dist dir>` measures another build;
 * `BENCH_BASELINE_DIST=<dist dir>` alternates the two, `BENCH_ROUNDS` (3) times each.
 */
const ORCHESTRATIONS = Number(process.env.BENCH_ORCHESTRATIONS ?? 300);
const CHAIN = 20;

interface StoreLike {
  transaction<T>(fn: (tx: Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function measure(dist: string): Promise<{ cpuUsPerStep: number; wallUsPerStep: number }> {
  const { SqliteStore } = (await import(pathToFileURL(join(dist, 'storage/sqlite/sqlite-store.js')).href)) as {
    SqliteStore: new (path: string) => StoreLike & { db: { pragma(s: string): unknown } };
  };
  const dir = mkdtempSync(join(tmpdir(), 'orra-bench-steps-'));
  const store = new SqliteStore(join(dir, 'engine.db'));
  if (process.env.BENCH_STEP_SYNC) store.db.pragma(`synchronous = ${process.env.BENCH_STEP_SYNC}`);
  const now = Date.now();
  await store.transaction((tx) => tx.projects!.insert!({ id: 'p1', name: 'p', createdAt: now, webhooks: [], compensationFailureWebhooks: [] }));
  let seq = 0;
  let steps = 0;
  let wallMs = 0;
  const cpu0 = process.cpuUsage();
  for (let o = 0; o < ORCHESTRATIONS; o++) {
    const id = `o_${String(now + o).padStart(16, '0')}${Math.random().toString(36).slice(2, 8)}`;
    const tasks = Array.from({ length: CHAIN }, (_, i) => ({
      orchestrationId: id, taskId: `task${i + 1}`, seq: i + 1, serviceId: 's_echo', serviceName: 'echo',
      input: { v: `$task${i}.v` }, resolvedInput: null as unknown, state: 'waiting', attempts: 0, consecutiveErrors: 0,
      idempotencyKey: null as string | null, executionId: null as string | null, output: null as unknown, error: null,
      pausedSince: null, nextAttemptAt: null, compensation: null, completedAt: null as number | null,
    }));
    await store.transaction(async (tx) => {
      await tx.orchestrations!.insert!({
        id, projectId: 'p1', action: 'chain', data: [{ field: 'v', value: 'h' }],
        plan: { tasks: tasks.map((t) => ({ id: t.taskId, service: t.serviceId, input: t.input })) }, taskZero: { v: 'h' },
        status: 'processing', error: null, results: null, abortReason: null, timeoutMs: 30_000, healthCheckGracePeriodMs: 30_000,
        timeoutText: null, healthCheckGracePeriodText: null, planner: 'none', createdAt: now, updatedAt: now,
      });
      await tx.tasks!.save!(tasks);
    });
    for (let i = 0; i <= CHAIN; i++) {
      const done = tasks[i - 1];
      const next = tasks[i];
      const changed: typeof tasks = [];
      const journal: Record<string, unknown>[] = [];
      const status = (t: (typeof tasks)[number], s: string) => {
        const entryId = `evt_${t.taskId}_${(seq++).toString(36)}`;
        const value = { id: entryId, orchestrationId: id, taskId: t.taskId, status: s, timestamp: now, serviceId: t.serviceId };
        journal.push({ orchestrationId: id, type: 'task_status', entryId, taskId: t.taskId, producerId: t.taskId, value, attempt: t.attempts, at: now });
      };
      if (done) {
        Object.assign(done, { state: 'completed', output: { v: 'hello' }, completedAt: now });
        changed.push(done);
        journal.push({ orchestrationId: id, type: 'task_output', entryId: done.taskId, taskId: done.taskId, producerId: done.serviceId, value: done.output, attempt: 1, at: now });
        status(done, 'completed');
      }
      if (next) {
        Object.assign(next, { state: 'processing', attempts: 1, resolvedInput: { v: 'hello' }, idempotencyKey: `k_${id}_${next.taskId}`, executionId: `e_${seq}` });
        changed.push(next);
        status(next, 'processing');
      }
      const start = performance.now();
      // The builds before saveWithJournal had only the two calls.
      await store.transaction(async (tx) => {
        await tx.tasks!.save!(changed);
        await tx.journal!.append!(journal);
      });
      wallMs += performance.now() - start;
      steps += 1;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { cpuUsPerStep: Number(((cpu.user + cpu.system) / steps).toFixed(1)), wallUsPerStep: Number(((wallMs * 1000) / steps).toFixed(1)) };
}

export async function stepWrites(): Promise<Record<string, unknown>> {
  const current = process.env.BENCH_ENGINE_DIST ?? new URL('../../packages/engine/dist', import.meta.url).pathname;
  const baseline = process.env.BENCH_BASELINE_DIST;
  const rounds: Record<string, unknown>[] = [];
  for (let r = 0; r < Number(process.env.BENCH_ROUNDS ?? 3); r++) {
    const round: Record<string, unknown> = { current: await measure(current) };
    if (baseline) round.baseline = await measure(baseline);
    rounds.push(round);
  }
  return { benchmark: 'step-writes', sync: process.env.BENCH_STEP_SYNC ?? 'FULL', chain: CHAIN, orchestrations: ORCHESTRATIONS, rounds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  stepWrites().then(
    (r) => console.log(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
