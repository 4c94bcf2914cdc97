import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngine } from '@orra/engine';
import { OrraClient } from '@orra/sdk';
import { chromium } from 'playwright-core';
import { Pool } from 'undici';
import { round, summarize } from './stats.js';

/**
 * The operator console at volume (issue 13): 100,000 orchestrations and 10,000 pending failed
 * compensations in storage (SQLite), then
 *
 * - the API calls behind the overview and behind the first page of the orchestrations list, p99 over
 *   REQUESTS rounds, each call alone, and the overview as the page makes it (three requests at once, then
 *   the oldest pending);
 *   reference: the engine's `GET /health` on the same connection, same run (the HTTP floor);
 * - the page in Debian's Chromium: navigation start → first list row in the DOM ("usable"), and the time
 *   from the list's answer arriving to 200 rows in the DOM ("200-row list rendered").
 *
 * Seeding goes straight through the store in transactions of 5,000 orchestrations, each with its plan's
 * three tasks (the list counts them; journals left out: the screens measured do not read them); it is
 * timed and reported apart.
 */
const ORCHESTRATIONS = Number(process.env.BENCH_ORCHESTRATIONS ?? 100_000);
const COMPENSATIONS = Number(process.env.BENCH_COMPENSATIONS ?? 10_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const PAGE_LOADS = Number(process.env.BENCH_PAGE_LOADS ?? 30);
const CHROMIUM = process.env.ORRA_CHROMIUM_PATH ?? '/usr/bin/chromium';
const BATCH = 5_000;
const DAY_MS = 86_400_000;
/** Spread over 30 days, newest now; statuses in these shares (the rest completed). */
const SHARE = { failed: 0.08, aborted: 0.02, processing: 0.01 };
/** Failed orchestrations' errors, in turn (the overview groups by service and error). */
const FAILURES = ['no courier available', 'address rejected', 'timed out waiting for result'];

export async function consoleBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'orra-bench-console-'));
  const engine = await startEngine({ env: {}, overrides: { port: 0, dataDir: dir, logLevel: 'warn', consoleSignInsPerMinute: 1000 } });
  try {
    const project = (await new OrraClient({ baseUrl: engine.url }).registerProject({ name: 'bench' })) as { id: string; apiKey: string };
    const seedMs = await seed(engine.store, project.id);
    const pool = new Pool(engine.url, { connections: 4 });
    const headers = { authorization: `Bearer ${project.apiKey}` };
    const get = async (path: string) => {
      const res = await pool.request({ path, method: 'GET', headers });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`);
      return JSON.parse(text) as unknown;
    };
    // What the overview page asks for (screens/overview.tsx), the oldest pending item after these.
    const overviewCalls = () => ['/compensation-failures/count', '/orchestrations/failure-counts', '/webhooks'];
    const api = {
      health: [] as number[],
      listFirstPage: [] as number[],
      overview: [] as number[],
      overviewEach: new Map<string, number[]>(),
    };
    const timed = async (path: string, into: number[]) => {
      const t0 = performance.now();
      const body = await get(path);
      into.push(performance.now() - t0);
      return body;
    };
    for (let i = 0; i < REQUESTS; i++) {
      await timed('/health', api.health);
      await timed('/orchestrations/search?limit=50', api.listFirstPage);
      // Each call alone (what "answered by the API" means per request)…
      let count = 0;
      for (const p of overviewCalls()) {
        const key = p.replace(/since=[^&]+&/, '');
        if (!api.overviewEach.has(key)) api.overviewEach.set(key, []);
        const body = (await timed(p, api.overviewEach.get(key)!)) as { count?: number };
        if (typeof body.count === 'number') count = body.count;
      }
      const oldestKey = '/compensation-failures?resolution=pending&order=oldest&limit=1';
      if (!api.overviewEach.has(oldestKey)) api.overviewEach.set(oldestKey, []);
      if (count > 0) await timed(oldestKey, api.overviewEach.get(oldestKey)!);
      // …and the whole overview as the page asks for it: three at once, then the oldest pending.
      const t0 = performance.now();
      const [counted] = (await Promise.all(overviewCalls().map((p) => get(p)))) as [{ count: number }];
      if (counted.count > 0) await get(oldestKey);
      api.overview.push(performance.now() - t0);
    }
    await pool.close();
    const warm = (xs: number[]) => summarize(xs.slice(Math.min(20, Math.floor(xs.length / 10))));
    const ms = (xs: number[]) => {
      const s = warm(xs);
      return { p50: round(s.p50), p99: round(s.p99) };
    };
    const page = await pageFigures(engine.url, project.apiKey);
    const health = ms(api.health);
    const result = {
      benchmark: 'console',
      orchestrations: ORCHESTRATIONS,
      pendingFailedCompensations: COMPENSATIONS,
      seedSeconds: round(seedMs / 1000, 1),
      loadAverageAtEnd: loadavg().map((l) => round(l, 2)),
      requestsPerQuery: REQUESTS,
      apiMs: {
        healthReference: health,
        listFirstPage: ms(api.listFirstPage),
        overviewAllCalls: ms(api.overview),
        overviewEach: Object.fromEntries([...api.overviewEach].map(([k, v]) => [k, ms(v)])),
      },
      listToHealthRatioP50: round(warm(api.listFirstPage).p50 / warm(api.health).p50, 1),
      page,
      targets: { apiP99Ms: 50, pageUsableMs: 300, render200RowsMs: 50 },
    };
    writeFileSync(new URL('../results/console.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The seeded plan: charge, reserve, then notify (or courier: the overview groups failures by service). */
const PLAN = [
  { taskId: 'task1', serviceId: 's_payments', serviceName: 'payments' },
  { taskId: 'task2', serviceId: 's_inventory', serviceName: 'inventory' },
  { taskId: 'task3', serviceId: 's_notify', serviceName: 'notify' },
];

const SEEDED_PLAN = {
  tasks: PLAN.map((t) => ({
    id: t.taskId,
    service: t.serviceId,
    input: { orderId: '$task0.orderId' },
    service_name: t.serviceName,
    capabilities: [],
    expected_input: {},
    expected_output: {},
  })),
  parallel_groups: [['task1'], ['task2'], ['task3']],
};

type TaskState = 'waiting' | 'processing' | 'completed' | 'failed' | 'aborted';

/**
 * An orchestration's stored tasks in realistic states: all completed; failed at task3 (its failing task,
 * on one of two services, with one of three errors); aborted while task3 ran; or running task2.
 */
function tasksOf(orchestrationId: string, n: number, createdAt: number, status: 'completed' | 'failed' | 'aborted' | 'processing') {
  const states: Record<typeof status, TaskState[]> = {
    completed: ['completed', 'completed', 'completed'],
    failed: ['completed', 'completed', 'failed'],
    aborted: ['completed', 'completed', 'aborted'],
    processing: ['completed', 'processing', 'waiting'],
  };
  return PLAN.map((t, i) => {
    const state = states[status][i]!;
    const courier = t.taskId === 'task3' && n % 2 === 0;
    return {
      orchestrationId,
      taskId: t.taskId,
      seq: i + 1,
      serviceId: courier ? 's_courier' : t.serviceId,
      serviceName: courier ? 'courier' : t.serviceName,
      input: { orderId: '$task0.orderId' },
      resolvedInput: state === 'waiting' ? null : { orderId: `ORD-${n}` },
      state,
      attempts: state === 'failed' ? 3 : state === 'waiting' ? 0 : 1,
      consecutiveErrors: state === 'failed' ? 3 : 0,
      idempotencyKey: null,
      executionId: null,
      output: state === 'completed' ? { ok: true } : null,
      error: state === 'failed' ? FAILURES[n % FAILURES.length]! : null,
      pausedSince: null,
      nextAttemptAt: null,
      compensation: null,
      completedAt: state === 'completed' ? createdAt + 300 * (i + 1) : null,
    };
  });
}

type Store = Awaited<ReturnType<typeof startEngine>>['store'];

export async function seed(store: Store, projectId: string): Promise<number> {
  const t0 = performance.now();
  const now = Date.now();
  const step = (30 * DAY_MS) / ORCHESTRATIONS;
  const statusOf = (n: number) => {
    const r = (n * 7919) % 1000; // spread, deterministic
    if (r < SHARE.failed * 1000) return 'failed' as const;
    if (r < (SHARE.failed + SHARE.aborted) * 1000) return 'aborted' as const;
    if (r < (SHARE.failed + SHARE.aborted + SHARE.processing) * 1000 && n > ORCHESTRATIONS - 1000) return 'processing' as const;
    return 'completed' as const;
  };
  const failedIds: string[] = [];
  for (let i = 0; i < ORCHESTRATIONS; i += BATCH) {
    await store.transaction(async (tx) => {
      for (let n = i; n < Math.min(ORCHESTRATIONS, i + BATCH); n++) {
        const createdAt = Math.round(now - 30 * DAY_MS + n * step);
        const status = statusOf(n);
        const id = `o_bench${String(n).padStart(15, '0')}`;
        if (status === 'failed') failedIds.push(id);
        await tx.orchestrations.insert({
          id,
          projectId,
          action: `Charge and ship order ORD-${n}`,
          data: [{ field: 'orderId', value: `ORD-${n}` }],
          plan: SEEDED_PLAN,
          taskZero: { orderId: `ORD-${n}` },
          status,
          // The runner's shape (`{id, producer, error}`), with the failing task stored below: the overview
          // groups by its service.
          error: status === 'failed' ? { id: `task_fail_task3_${n}`, producer: 'task3', error: `task3 failed after 3 attempts: ${FAILURES[n % FAILURES.length]}` } : null,
          results: status === 'completed' ? [{ sent: true }] : null,
          abortReason: status === 'aborted' ? { reason: 'customer cancelled the order' } : null,
          timeoutMs: 300_000,
          healthCheckGracePeriodMs: 1_800_000,
          timeoutText: null,
          healthCheckGracePeriodText: null,
          planner: 'explicit',
          createdAt,
          updatedAt: createdAt + 1200,
        });
        // The plan's three tasks, as the runner leaves them: the list page counts them (tasks done/total).
        await tx.tasks.save(tasksOf(id, n, createdAt, status));
      }
    });
  }
  for (let i = 0; i < COMPENSATIONS; i += BATCH) {
    await store.transaction(async (tx) => {
      const batch = Array.from({ length: Math.min(BATCH, COMPENSATIONS - i) }, (_, j) => {
        const n = i + j;
        const orchestrationId = failedIds[n % failedIds.length] ?? `o_bench${n}`;
        const at = now - (COMPENSATIONS - n) * 60_000;
        return {
          id: `c_bench${String(n).padStart(15, '0')}`,
          projectId,
          orchestrationId,
          taskId: 'task1',
          serviceId: 's_payments',
          serviceName: 'payments',
          position: 0,
          status: 'failed' as const,
          data: { originalTask: { id: 'task1', input: { orderId: `ORD${n}` } }, taskResult: { ref: `r${n}` } },
          ttlMs: DAY_MS,
          context: { orchestrationId, reason: 'failed' as const, timestamp: new Date(at).toISOString() },
          taskInput: { orderId: `ORD${n}` },
          taskCompletedAt: at - 1000,
          idempotencyKey: `k${n}`,
          executionId: null,
          attempts: 10,
          maxAttempts: 10,
          nextAttemptAt: null,
          lastError: 'max compensation attempts (10) reached: refund rejected by the bank',
          partial: null,
          failedAt: at,
          resolutionState: 'pending' as const,
          resolution: null,
          resolvedAt: null,
          createdAt: at - 1000,
          updatedAt: at,
        };
      });
      await tx.compensations.save(batch);
    });
  }
  return performance.now() - t0;
}

/** Chromium on loopback, signed in by the session cookie; figures taken in the page (performance.now). */
async function pageFigures(baseUrl: string, apiKey: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey }) });
  const [name, value] = /^([^=]+)=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')!.slice(1) as [string, string];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name, value, url: baseUrl }]);
    // Marks, relative to navigation start: the first row, and `BENCH_ROWS` rows, as they enter the DOM.
    // (Strings: this file is compiled without the DOM's types; the code runs in the page.)
    await context.addInitScript(`
      window.__rows = {};
      new MutationObserver(() => {
        const n = document.querySelectorAll('tr[data-id]').length;
        // Reading offsetHeight lays the page out: the mark includes style and layout, as a person sees it.
        for (const want of [1, 200]) if (n >= want && window.__rows[want] === undefined) { void document.body.offsetHeight; window.__rows[want] = performance.now(); }
      }).observe(document, { subtree: true, childList: true });
    `);
    const page = await context.newPage();
    const usable: number[] = [];
    const render200: number[] = [];
    const navigationFloor: number[] = [];
    const plainDom200: number[] = [];
    for (let i = 0; i < PAGE_LOADS + 3; i++) {
      await page.goto(`${baseUrl}/console/orchestrations`);
      await page.locator('tr[data-id]').first().waitFor();
      const first = await page.evaluate<number>('window.__rows[1]');
      await page.goto(`${baseUrl}/console/orchestrations?limit=200`);
      await page.locator('tr[data-id]').nth(199).waitFor();
      // From the list's answer fully received to the 200th row in the DOM: JSON parse and render.
      const rendered = await page.evaluate<number>(`window.__rows[200] - performance.getEntriesByType('resource')
        .find((e) => e.name.includes('/orchestrations/search') && e.name.includes('limit=200')).responseEnd`);
      // References, same page and moment: 200 rows of the same text set as one HTML string and laid out
      // (the DOM's floor for the list), and a navigation to a page without script (the browser's floor).
      const plain = await page.evaluate<number>(`(() => {
        const rows = [...document.querySelectorAll('tr[data-id]')].map((r) => '<tr>' + [...r.cells].map((c) => '<td>' + c.textContent + '</td>').join('') + '</tr>').join('');
        const box = document.createElement('div');
        document.body.append(box);
        const t0 = performance.now();
        box.innerHTML = '<table><tbody>' + rows + '</tbody></table>';
        void document.body.offsetHeight;
        const t = performance.now() - t0;
        box.remove();
        return t;
      })()`);
      await page.goto(`${baseUrl}/health`);
      const floor = await page.evaluate<number>(`performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd`);
      if (i >= 3) {
        usable.push(first);
        render200.push(rendered);
        plainDom200.push(plain);
        navigationFloor.push(floor);
      }
    }
    const u = summarize(usable);
    const r = summarize(render200);
    const f = summarize(navigationFloor);
    const d = summarize(plainDom200);
    return {
      loads: PAGE_LOADS,
      usableFirstRowMs: { p50: round(u.p50), p99: round(u.p99), max: round(Math.max(...usable)) },
      navigationFloorMs: { p50: round(f.p50), p99: round(f.p99) },
      render200RowsAfterAnswerMs: { p50: round(r.p50), p99: round(r.p99), max: round(Math.max(...render200)) },
      plainDom200RowsMs: { p50: round(d.p50), p99: round(d.p99) },
      usableToFloorRatioP50: round(u.p50 / f.p50, 1),
      renderToPlainDomRatioP50: round(r.p50 / d.p50, 1),
    };
  } finally {
    await browser.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  consoleBench().then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
