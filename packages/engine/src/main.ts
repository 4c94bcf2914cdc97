#!/usr/bin/env node
import { ConfigError, startEngine, type Engine } from './app.js';

let engine: Engine | undefined;
let signals = 0;

/** Process entry: start the engine, stop it cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  engine = await startEngine({ onFatal: fatal });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function stop(signal: string): void {
  signals += 1;
  if (signals > 1) process.exit(130); // a second Ctrl-C means "now"
  if (!engine) return;
  engine.log.info({ signal }, 'shutting down; in-flight orchestrations resume on the next start');
  closeThenExit(engine, 0);
}

/**
 * The engine cannot go on safely (its PostgreSQL cluster session ended, so other processes are taking
 * its work over): stop and exit non-zero, for a supervisor to start a fresh process.
 */
function fatal(err: Error): void {
  process.stderr.write(`orra-engine: ${err.message}; stopping\n`);
  if (engine) closeThenExit(engine, 1);
  else process.exit(1);
}

function closeThenExit(e: Engine, code: number): void {
  const force = setTimeout(() => process.exit(1), e.config.shutdownTimeoutMs);
  force.unref();
  e.close().then(
    () => process.exit(code),
    (err: unknown) => {
      e.log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}

main().catch((err: unknown) => {
  const message =
    err instanceof ConfigError
      ? err.message
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
  process.stderr.write(`orra-engine: ${message}\n`);
  process.exit(1);
});
