#!/usr/bin/env node
// The `orra` executable: runs the command line and exits with its code (0 ok, 1 failure, 2 usage).
import { run } from './program.js';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// Long-running commands (`verify webhooks start`) resolve only once they stopped listening, so nothing
// is left to flush but stdout; setting exitCode lets Node finish writing before it exits.
process.exitCode = code;
