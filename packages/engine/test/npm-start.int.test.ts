import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineProcess, freePort } from './helpers/engine-process.js';
import { REPO_ROOT } from './helpers/markdown-doc.js';
import { isPostgresRun } from './helpers/test-database.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The documented start command, `npm start`, as a supervisor or a terminal runs it: npm, the shell it
 * runs the script in, and the engine. A SIGTERM to npm (what systemd, a container runtime or `kill`
 * sends) and a Ctrl-C in the terminal (SIGINT to the whole process group) must both stop the engine
 * gracefully and make npm exit with the engine's status. The signal handling does not depend on the
 * store, so this runs on SQLite only.
 */
describe.skipIf(isPostgresRun)('npm start', () => {
  // Made in beforeAll, not in the describe body: a skipped suite's body still runs (collection) but its
  // hooks do not, so a directory made there would never be removed.
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'orra-npm-start-'));
  });
  const started: ChildProcess[] = [];
  afterAll(() => {
    // A tree a failed test left behind: end its whole process group (ours alone: it was made detached).
    for (const child of started) if (isGroupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  async function npmStart() {
    const port = await freePort();
    // Detached: npm leads a process group of its own, as a shell's foreground job does.
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        ORRA_DATA_DIR: join(root, String(port)),
        ORRA_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    started.push(npm);
    let output = '';
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)));
    const url = `http://127.0.0.1:${port}`;
    // npm builds first (a no-op after `npm run build`, but tsc still checks every project).
    await waitFor(async () => (await fetch(`${url}/health`)).ok, {
      what: `npm start to serve (${output})`,
      timeoutMs: 60_000,
    });
    return { npm, url, exited, output: () => output };
  }

  it('SIGTERM to npm stops the engine gracefully, and npm exits 0', async () => {
    const { npm, url, exited, output } = await npmStart();
    npm.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('"msg":"engine stopped"');
    // Nothing of the tree is left: no engine under PID 1 still answering.
    expect(isGroupAlive(npm.pid!)).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('Ctrl-C (SIGINT to the process group) stops the engine gracefully, and npm exits 0', async () => {
    const { npm, exited, output } = await npmStart();
    // The engine gets the terminal's SIGINT and npm's forwarded copy: one Ctrl-C, not two.
    process.kill(-npm.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toContain('"msg":"engine stopped"');
    expect(isGroupAlive(npm.pid!)).toBe(false);
  });

  it('a repeated signal (npm forwards its copy of a Ctrl-C) does not cut the clean stop short', async () => {
    const engine = new EngineProcess(await freePort(), join(root, 'repeat'), { ORRA_LOG_LEVEL: 'info' });
    await engine.start();
    const exited = engine.exited();
    // A request still being received holds the clean stop open (the HTTP server waits for it). The
    // server's `100 Continue` says it has the request.
    const client = connect(engine.port, '127.0.0.1');
    let answer = '';
    client.on('data', (d: Buffer) => (answer += d.toString()));
    client.write(
      'POST /orchestrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n',
    );
    await waitFor(() => answer.startsWith('HTTP/1.1 100 Continue'), { what: 'the request to be in flight' });
    process.kill(engine.pid!, 'SIGINT');
    await waitFor(() => engine.output.includes('shutting down;'), { what: 'the engine to start stopping' });
    process.kill(engine.pid!, 'SIGINT');
    await waitFor(() => engine.output.includes('already shutting down'), { what: 'the repeat to be seen' });
    client.destroy(); // the request ends; the stop completes
    expect(await exited).toBe(0);
    expect(engine.output).toContain('"msg":"engine stopped"');
  });
});

/** True while any process of the group led by `pid` is alive. */
/**
 * Whether any process of the group led by `pid` still runs. A zombie does not count: the build's
 * esbuild service process, orphaned when the build script exits, can wait a moment as a zombie for
 * init to reap it (it has ended; kill(-pgid, 0) would still see it).
 */
function isGroupAlive(pid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pid && state !== 'Z') return true;
  }
  return false;
}
