import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../dist/demo.js', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ESC = '\x1b[';

/** The environment of a user who set nothing about colour. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, INIT_CWD: REPO_ROOT, ...extra };
  for (const key of ['NO_COLOR', 'FORCE_COLOR'] as const) if (!(key in extra)) delete env[key];
  return env;
}

/** The demo with `--keep`, as a child whose output can be awaited. */
function keepDemo(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [DEMO, '--keep', '--port', '0', ...args], { env, cwd: REPO_ROOT });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer) => {
    output += c.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    get output() {
      return output;
    },
    /** Resolves once the output contains `text`; rejects if the demo exits first. */
    until(text: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void exited.then((code) => reject(new Error(`demo exited (${code}) before "${text}":\n${output}`)));
        check();
      });
    },
  };
}

/** The demo's directory, from the line that names its files. */
const filesDir = (output: string) => /^ {2}Files: (\S+)/m.exec(output)?.[1];

describe('npm run demo', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('runs the three actions end to end, verifies every webhook, works the queue with the CLI, and exits 0', () => {
    const started = Date.now();
    // stdout is a pipe and the user set nothing about colour: plain text, no escape codes.
    const run = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', timeout: 90_000, env: plainEnv() });
    const output = run.stdout + run.stderr;
    expect(run.status, output).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(output.includes(ESC), 'colour codes in piped output').toBe(false);
    // Planned from words by the grounded planner.
    expect(output.match(/planned by the grounded planner: task1 inventory → task2 payment → task3 delivery/g)).toHaveLength(3);
    // 1: completed, with results.
    expect(output).toMatch(/webhook orchestration\.completed {2}results \[\{"eta":"2 business days"/);
    // 2: payment undone before inventory, then orchestration.failed.
    const second = output.slice(output.indexOf('2. Delivery is impossible'), output.indexOf('3. Delivery is impossible'));
    expect(second.indexOf('payment    task2  undone')).toBeGreaterThan(-1);
    expect(second.indexOf('payment    task2  undone')).toBeLessThan(second.indexOf('inventory  task1  undone'));
    expect(second).toContain('webhook orchestration.failed');
    // 3: the refund fails for good and compensation.failed arrives.
    expect(output).toMatch(/webhook compensation\.failed {2}payment task2: max compensation attempts \(3\) reached: refund of ch-ORD-1003-NOREFUND rejected/);
    // Every webhook was signed and verified.
    const received = output.match(/⇐ webhook /g)?.length ?? 0;
    expect(received).toBe(4);
    expect(output.match(/signature valid/g)).toHaveLength(received);
    // The operator's CLI session.
    expect(output).toContain('$ orra comp-fail resolve');
    expect(output).toContain('Manually refunded customer');
    expect(output).toMatch(/4 × |1 × orchestration\.completed/);
    // Its directory is gone and the engine stopped, so the closing lines point at neither: they say
    // how to keep them instead.
    const dir = /data (\S+)\/engine\.db/.exec(output)![1]!;
    expect(existsSync(dir)).toBe(false);
    const closing = output.slice(output.indexOf('Done in'));
    expect(closing).not.toContain(dir);
    expect(closing).not.toMatch(/http:\/\/127\.0\.0\.1/);
    expect(closing).toContain('`npm run demo -- --keep`');
  });

  it('--keep prints where its files are and commands that work while it runs; Ctrl-C stops it and deletes the files', async () => {
    // FORCE_COLOR asks for colour on a pipe.
    const demo = keepDemo([], plainEnv({ FORCE_COLOR: '1' }));
    cleanup.push(() => demo.child.kill('SIGKILL'));
    await demo.until('Ctrl-C stops them');
    const output = demo.output;
    expect(output).toContain(`${ESC}1m`);
    const dir = filesDir(output)!;
    expect(existsSync(`${dir}/engine.db`) && existsSync(`${dir}/orra-cli.json`), output).toBe(true);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const explore = output.slice(output.indexOf('  Explore:'), output.indexOf('  Ctrl-C stops them'));
    const commands = explore.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
    expect(commands).toHaveLength(4);
    const ids = /orchestrations: (.+)/.exec(output)![1]!.split(', ');
    const results: string[] = [];
    for (const command of commands) {
      // As the user would paste them, from where they ran `npm run demo` (here the repository root).
      const { stdout } = await promisify(execFile)('sh', ['-c', command], { cwd: REPO_ROOT, encoding: 'utf8' });
      results.push(stdout);
    }
    const [ps, inspect, compFails, metrics] = results as [string, string, string, string];
    // The console's one-time sign-in link works (once).
    const link = /sign in: (\S+)/.exec(output)![1]!;
    expect(output).toMatch(/Console: http:\/\/\S+\/console\n/);
    const signIn = () =>
      fetch(new URL('/console/session', link), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ link: new URL(link).hash.replace('#link=', '') }),
      });
    expect((await signIn()).status).toBe(201);
    expect((await signIn()).status).toBe(401);
    for (const id of ids) expect(ps).toContain(id);
    expect(inspect).toContain(ids[1]);
    expect(inspect).toContain('Failed');
    expect(compFails).toContain('Resolved');
    expect(metrics).toMatch(/^orra_orchestration_completions_total 1$/m);

    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('--keep --keep-files keeps its files when stopped with SIGTERM', async () => {
    const demo = keepDemo(['--keep-files'], plainEnv());
    cleanup.push(() => demo.child.kill('SIGKILL'));
    await demo.until('Ctrl-C stops them');
    const dir = filesDir(demo.output)!;
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    expect(demo.output).toContain(`Ctrl-C stops them and keeps ${dir} (--keep-files)`);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    expect(demo.output).toContain(`kept ${dir}`);
    expect(existsSync(`${dir}/engine.db`)).toBe(true);
  });
});
