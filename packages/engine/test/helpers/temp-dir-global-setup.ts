import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global set-up that keeps the suite from leaving temporary files behind (some tests write a CLI
 * config holding API keys). The run gets a temporary directory of its own as `TMPDIR`, which
 * `os.tmpdir()` reads and which the test workers and every process they start inherit; the teardown
 * fails the run, naming what is left, when a test did not remove what it made, and removes the directory
 * either way. A directory of its own rather than a before/after listing of /tmp, so that other test runs
 * on the same machine (and their leftovers) do not count.
 */
let runDir: string | undefined;
let previousTmpdir: string | undefined;

export function setup(): void {
  previousTmpdir = process.env.TMPDIR;
  runDir = mkdtempSync(join(tmpdir(), 'orra-test-run-'));
  process.env.TMPDIR = runDir;
}

export function teardown(): void {
  if (!runDir) return;
  const dir = runDir;
  runDir = undefined;
  if (previousTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmpdir;
  // Only what the project's code makes counts (every temporary name it picks starts with orra-); what other
  // tools leave there (npm, say) goes with the directory.
  const left = readdirSync(dir).filter((name) => name.startsWith('orra-'));
  rmSync(dir, { recursive: true, force: true });
  if (left.length > 0) {
    // Vitest only logs an error thrown here ("error during close") and would still exit 0.
    process.exitCode = 1;
    throw new Error(
      `the tests left ${left.length} temporary ${left.length === 1 ? 'entry' : 'entries'} behind (${left.join(', ')}): every test must remove the files and directories it makes`,
    );
  }
}
