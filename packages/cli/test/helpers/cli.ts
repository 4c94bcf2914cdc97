import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** The built `orra` executable (root `npm test` runs `tsc -b` first). */
export const CLI_PATH = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** What a finished `orra` run printed and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A temporary home with its own config file, so tests never touch ~/.orra. Whoever makes one removes
 * it with `dispose()` (its config holds API keys); inside a test, `testHome()` does that by itself.
 */
export class CliHome {
  readonly dir = mkdtempSync(join(tmpdir(), 'orra-cli-'));
  readonly configPath = join(this.dir, 'config.json');

  /** Removes the home and everything in it. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The environment `orra` runs with: ORRA_CONFIG set, no colour forcing, HOME in the temp dir. */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: this.dir, ORRA_CONFIG: this.configPath };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    Object.assign(env, extra);
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
    return env;
  }

  /** Runs `orra ARGS` as a subprocess (asynchronously: the engine runs in this process). */
  run(args: string[], extraEnv: Record<string, string | undefined> = {}, cwd?: string): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_PATH, ...args], {
        env: this.env(extraEnv),
        ...(cwd ? { cwd } : {}),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
      child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /**
   * Runs `orra ARGS` on a pseudo-terminal, as from a person's shell (`script` gives it one); `input` is
   * what the person types. The output is both streams as the terminal shows them, typed input echoed.
   */
  runOnTty(
    args: string[],
    { input = '', env = {} }: { input?: string; env?: Record<string, string | undefined> } = {},
  ): Promise<{ code: number; output: string }> {
    const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, CLI_PATH, ...args].map(quote).join(' ');
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: this.env(env) });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += String(c)));
      child.stderr.on('data', (c: Buffer) => (output += String(c)));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, output }));
      child.stdin.end(input);
    });
  }

  /** Runs `orra ARGS --json`-style commands and parses stdout, failing loudly on a non-zero exit. */
  async json<T = any>(args: string[]): Promise<T> {
    const r = await this.run(args);
    if (r.code !== 0) throw new Error(`orra ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Starts a long-running `orra` (e.g. `verify webhooks start`), collecting its output. */
  start(args: string[]): RunningCli {
    return new RunningCli(
      spawn(process.execPath, [CLI_PATH, ...args], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] }),
    );
  }
}

/** True where `script` (util-linux) can give a command a pseudo-terminal. */
export const hasScript = existsSync('/usr/bin/script');

/** A CliHome removed when the current test finishes, whether it passes or not. */
export function testHome(): CliHome {
  const home = new CliHome();
  onTestFinished(() => home.dispose());
  return home;
}

/** A running `orra` process whose output can be awaited. */
export class RunningCli {
  stdout = '';
  stderr = '';
  /** Both streams in the order they arrived, as a terminal shows them. */
  output = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => {
      this.stdout += String(c);
      this.output += String(c);
    });
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr += String(c);
      this.output += String(c);
    });
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  /** Waits until stdout or stderr matches `pattern` (or the deadline passes). */
  async waitFor(
    pattern: RegExp,
    stream: 'stdout' | 'stderr' | 'output' = 'stdout',
    timeoutMs = 15_000,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this[stream].match(pattern);
      if (m) return m;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `no ${pattern} on ${stream} within ${timeoutMs} ms; stdout: ${this.stdout}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }
}

/** Matches ANSI escape sequences (there must be none when stdout is not a terminal). */
// eslint-disable-next-line no-control-regex -- matching the escape character is the point
export const ANSI = /\u001b\[/;
