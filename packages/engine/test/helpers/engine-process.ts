import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isPostgresRun, postgresEnv, prepareSchema } from './test-database.js';
import { waitFor } from './wait-for.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A free loopback port (so a restarted engine can come back on the same address). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * The built engine (`dist/main.js`) as a child process, for tests that must kill it with SIGKILL.
 * `npm test` builds before running tests. With `ORRA_TEST_DATABASE=postgres` its storage is the data
 * dir's PostgreSQL schema, so a restart on the same data dir finds the same data.
 */
export class EngineProcess {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly env: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The engine's process id (once started). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the engine and waits until it answers /health with 200. */
  async start(timeoutMs = 15_000): Promise<this> {
    await this.spawn();
    // One that never came up is stopped here: the caller registers its clean-up only after start().
    await waitFor(
      async () => {
        if (this.child?.exitCode != null) throw new Error(`engine exited: ${this.output}`);
        return (await fetch(`${this.url}/health`)).ok;
      },
      { what: 'engine to accept requests', timeoutMs },
    ).catch(async (err: unknown) => {
      await this.kill();
      throw err;
    });
    return this;
  }

  /**
   * Starts an engine that is expected to fail: resolves with its exit code and what it printed on
   * stderr. An engine that comes up instead (answers /health) is stopped, and the call rejects.
   */
  async startExpectingFailure(timeoutMs = 15_000): Promise<{ code: number | null; stderr: string }> {
    let stderr = '';
    const child = await this.spawn();
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let isUp = false;
    const outcome = await Promise.race([
      exited,
      waitFor(async () => (isUp = (await fetch(`${this.url}/health`)).ok), {
        what: 'the engine to fail',
        timeoutMs,
      }),
    ]);
    if (isUp) {
      await this.kill();
      throw new Error(`the engine started instead of failing: ${this.output}`);
    }
    return { code: outcome as number | null, stderr };
  }

  private async spawn(): Promise<ChildProcess> {
    if (isPostgresRun) await prepareSchema(this.dataDir);
    const storage = isPostgresRun ? postgresEnv(this.dataDir) : {};
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: String(this.port),
        ORRA_DATA_DIR: this.dataDir,
        ORRA_LOG_LEVEL: 'warn',
        ...storage,
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    return child;
  }

  /** Resolves with the exit code once the engine has exited (null when a signal ended it). */
  exited(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve(child?.exitCode ?? null);
    return new Promise((r) => child.once('exit', (code) => r(code)));
  }

  /** SIGKILL: no shutdown code runs, exactly like a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    // A killed child has a signalCode and no exitCode: both mean it is gone already.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM and wait for exit: the graceful path. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  }
}
