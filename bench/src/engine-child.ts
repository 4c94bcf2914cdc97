import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The engine build to run: this tree's, or `BENCH_ENGINE_MAIN=<path to main.js>` (another build, for A/B runs). */
const MAIN = process.env.BENCH_ENGINE_MAIN ?? fileURLToPath(new URL('../../packages/engine/dist/main.js', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * `BENCH_DATABASE_URL=postgres://…` puts the benchmarked engine on PostgreSQL (a fresh schema, dropped
 * afterwards) instead of SQLite; results then carry `storage: 'postgres'`.
 */
const DATABASE_URL = process.env.BENCH_DATABASE_URL;
export const benchStorage: 'sqlite' | 'postgres' = DATABASE_URL ? 'postgres' : 'sqlite';

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
}

export interface EngineChild {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** From spawn to the engine logging that it listens (resumed work included). */
  startupMs: number;
  /** SIGKILL, keeping the data for a restart. */
  kill(): Promise<void>;
  /** SIGTERM, then delete the data. */
  stop(): Promise<void>;
}

/**
 * The built engine in its own process (as in production), on a fresh SQLite file or PostgreSQL schema;
 * pass `reuse` (a killed engine) to restart on the same port and data, and `main` to run another build of
 * the engine (an A/B comparison in one run).
 */
export async function startEngineChild(env: Record<string, string> = {}, reuse?: EngineChild, main = MAIN): Promise<EngineChild> {
  const port = reuse?.port ?? (await freePort());
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'orra-bench-'));
  const schema = `orra_bench_${process.pid}_${port}`;
  const storage = DATABASE_URL ? { ORRA_DATABASE_URL: DATABASE_URL, ORRA_DATABASE_SCHEMA: schema } : {};
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR ?? '/tmp/prof'}`] : []), main], {
    env: { ...process.env, PORT: String(port), ORRA_DATA_DIR: dataDir, ORRA_LOG_LEVEL: 'info', ...storage, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The engine logs "engine listening" once it accepts requests: wait for that line, not on a timer.
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.once('exit', (code) => reject(new Error(`engine exited with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.includes('"engine listening"')) resolve();
        else if (/"level":(40|50|60)/.test(line)) process.stderr.write(`${line}\n`);
      }
    });
  });
  const startupMs = performance.now() - spawnedAt;
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url,
    port,
    dataDir,
    child,
    startupMs,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      // A clean stop is bounded by the engine's shutdown timeout; a benchmark that overloaded it does not wait longer.
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
      rmSync(dataDir, { recursive: true, force: true });
      if (DATABASE_URL) await dropSchema(schema);
    },
  };
}
