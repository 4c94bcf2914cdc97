#!/usr/bin/env node
// The `orra` executable: runs the command line and exits with its code (0 ok, 1 failure, 2 usage).
import { run } from './program.js';

// A reader that goes away (`orra ps --watch | head`) ends the command quietly, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
// Long-running commands (`verify webhooks start`) resolve only once they stopped listening, so nothing
// is left to flush but stdout; setting exitCode lets Node finish writing before it exits.
process.exitCode = code;
