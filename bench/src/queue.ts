import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngine } from '@orra/engine';
import { OrraClient } from '@orra/sdk';
import { Pool } from 'undici';
import { round, summarize } from './stats.js';

/**
 * The failed-compensation queue at 100,000 records: `GET /compensation-failures` with server-side
 * filters and paging, as an operator's CLI calls it. The reference is the same filtered, paged read
 * straight from the store (no HTTP, no JSON), measured in the same run.
 */
const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000);
const REQUESTS = 300;

export async function queue(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'orra-bench-queue-'));
  const engine = await startEngine({ env: {}, overrides: { port: 0, dataDir: dir, logLevel: 'warn' } });
  const project = (await new OrraClient({ baseUrl: engine.url }).registerProject({ name: 'bench' })) as { id: string; apiKey: string };
  const services = ['payments', 'inventory', 'shipping', 'loyalty'];
  const now = Date.now();
  for (let i = 0; i < RECORDS; i += 5000) {
    await engine.store.transaction(async (tx) => {
      const batch = Array.from({ length: Math.min(5000, RECORDS - i) }, (_, j) => {
        const n = i + j;
        const service = services[n % services.length] as string;
        return {
          id: `c_bench${String(n).padStart(15, '0')}`,
          projectId: project.id,
          orchestrationId: `o_bench${String(Math.floor(n / 2)).padStart(15, '0')}`,
          taskId: `task${(n % 2) + 1}`,
          serviceId: `s_${service}`,
          serviceName: service,
          position: n % 2,
          status: 'failed' as const,
          data: { originalTask: { id: `task${(n % 2) + 1}`, input: { orderId: `ORD${n}` } }, taskResult: { ref: `r${n}` } },
          ttlMs: 86_400_000,
          context: { orchestrationId: `o_bench${n}`, reason: 'failed' as const, timestamp: new Date(now).toISOString() },
          taskInput: { orderId: `ORD${n}` },
          taskCompletedAt: now - n,
          idempotencyKey: `k${n}`,
          executionId: null,
          attempts: 10,
          maxAttempts: 10,
          nextAttemptAt: null,
          lastError: 'max compensation attempts (10) reached: refund API down',
          partial: null,
          failedAt: now - n,
          resolutionState: n % 10 === 0 ? ('pending' as const) : ('resolved' as const),
          resolution: n % 10 === 0 ? null : 'handled',
          resolvedAt: n % 10 === 0 ? null : now,
          createdAt: now - n,
          updatedAt: now - n,
        };
      });
      await tx.compensations.save(batch);
    });
  }
  const pool = new Pool(engine.url, { connections: 1 });
  const headers = { authorization: `Bearer ${project.apiKey}` };
  const queries: { name: string; path: string; filter: Parameters<typeof engine.store.compensations.listFailed>[1] }[] = [
    { name: 'pending, first page of 20', path: '?resolution=pending&limit=20', filter: { resolution: 'pending', limit: 20 } },
    { name: 'by service, page 50 of 20', path: '?service=payments&limit=20&offset=1000', filter: { service: 'payments', limit: 20, offset: 1000 } },
    { name: 'by orchestration', path: '?orchestration=o_bench000000000012345', filter: { orchestrationId: 'o_bench000000000012345' } },
    { name: 'pending by service, 100', path: '?resolution=pending&service=shipping&limit=100', filter: { resolution: 'pending', service: 'shipping', limit: 100 } },
  ];
  const results: Record<string, unknown>[] = [];
  for (const q of queries) {
    const api: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      const res = await pool.request({ path: `/compensation-failures${q.path}`, method: 'GET', headers });
      await res.body.text();
      api.push(performance.now() - t0);
      const t1 = performance.now();
      await engine.store.compensations.listFailed(project.id, q.filter);
      direct.push(performance.now() - t1);
    }
    const a = summarize(api.slice(20));
    const d = summarize(direct.slice(20));
    results.push({
      query: q.name,
      apiMs: { p50: round(a.p50), p99: round(a.p99) },
      storeReadMs: { p50: round(d.p50), p99: round(d.p99) },
      apiToStoreRatioP50: round(a.p50 / d.p50, 2),
    });
  }
  await pool.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  const result = { benchmark: 'failed-compensation-queue', records: RECORDS, requestsPerQuery: REQUESTS, queries: results, targetP99Ms: 100 };
  writeFileSync(new URL('../results/queue.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  queue().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
