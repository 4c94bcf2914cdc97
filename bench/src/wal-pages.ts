import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OrraClient } from '@orra/sdk';
import { listenForCompletions } from './completion-receiver.js';
import { startEcho } from './echo-service.js';
import { startEngineChild } from './engine-child.js';

/**
 * Which pages each commit of one orchestration writes to SQLite's WAL, named by the table or index they
 * belong to: a diagnostic for "fewer pages written per step" (issue 15), not a benchmark. A page written is
 * a 4 KiB frame appended to the WAL and covered by that commit's fsync, so the page count per commit is what
 * a schema change on the step path moves.
 *
 * Runs the built engine in its own process on a fresh SQLite file with an echo service and a completion
 * webhook (as `e2e.ts` does), runs `BENCH_WAL_WARMUP` (3) chains of `BENCH_WAL_TASKS` (3) echo tasks, then
 * one more whose frames it reads: each frame's page number from the WAL, each page's owner from `dbstat` on
 * a copy of the database and its WAL. `BENCH_ENGINE_MAIN` runs another build. Prints one line per commit.
 */
const TASKS = Number(process.env.BENCH_WAL_TASKS ?? 3);
const WARMUP = Number(process.env.BENCH_WAL_WARMUP ?? 3);
const WAL_HEADER = 32;
const FRAME = 24 + 4096; // frame header + the engine's page size (SQLite's default)

const engine = await startEngineChild();
try {
  const admin = new OrraClient({ baseUrl: engine.url });
  const project = (await admin.registerProject({ name: 'bench' })) as { apiKey: string };
  const client = new OrraClient({ baseUrl: engine.url, apiKey: project.apiKey });
  let onDone: (() => void) | undefined;
  const stopReceiver = await listenForCompletions(client, () => onDone?.());
  const echo = await startEcho(engine.url, project.apiKey, () => undefined);
  const wal = join(engine.dataDir, 'engine.db-wal');
  const frameCount = () => (statSync(wal).size - WAL_HEADER) / FRAME;
  // The delivery's outcome commits after the completion webhook is answered: wait for the WAL to settle.
  const settled = async () => {
    let last = -1;
    while (frameCount() !== last) {
      last = frameCount();
      await new Promise((r) => setTimeout(r, 150));
    }
    return last;
  };
  const serviceId = echo.info.id as string;
  const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `task${i + 1}`, service: serviceId, input: { v: `$task${i}.v` } }));
  let from = 0;
  let to = 0;
  for (let i = 0; i <= WARMUP; i++) {
    from = await settled();
    const done = new Promise<void>((r) => (onDone = r));
    await client.createOrchestration({ action: { content: 'wal pages' }, data: [{ field: 'v', value: 'hello' }], plan: { tasks } } as never);
    await done;
    to = await settled();
  }
  // A checkpoint restarts the WAL from its first frame: the frames read would not be this orchestration's.
  if (to <= from) throw new Error('the WAL was checkpointed during the measured orchestration: run again');
  const copy = mkdtempSync(join(tmpdir(), 'orra-wal-pages-'));
  copyFileSync(join(engine.dataDir, 'engine.db'), join(copy, 'engine.db'));
  copyFileSync(wal, join(copy, 'engine.db-wal'));
  const frames = readFileSync(wal);
  await echo.shutdown();
  await stopReceiver();
  const db = new Database(join(copy, 'engine.db'));
  const owners = new Map((db.prepare('SELECT pageno, name FROM dbstat').all() as { pageno: number; name: string }[]).map((r) => [r.pageno, r.name]));
  db.close();
  rmSync(copy, { recursive: true, force: true });
  let pages: string[] = [];
  let commits = 0;
  for (let f = from; f < to; f++) {
    const at = WAL_HEADER + f * FRAME;
    pages.push(owners.get(frames.readUInt32BE(at)) ?? `page ${frames.readUInt32BE(at)}`);
    // A frame whose "database size after commit" field is set ends a commit.
    if (frames.readUInt32BE(at + 4) !== 0) {
      commits += 1;
      console.log(`commit ${commits}: ${pages.length} pages: ${pages.join(', ')}`);
      pages = [];
    }
  }
  console.log(`chain of ${TASKS}: ${to - from} pages in ${commits} commits`);
} finally {
  await engine.stop();
}
