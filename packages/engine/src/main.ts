#!/usr/bin/env node
import { ConfigError, StartupError, startEngine, type Engine } from './app.js';
import { oneLine } from './errors/startup-error.js';

let engine: Engine | undefined;
/** The first SIGINT/SIGTERM, once one has come. */
let stopSignal: NodeJS.Signals | undefined;

/**
 * Process entry: start the engine, stop it cleanly on SIGINT/SIGTERM and exit 0. The handlers are set
 * before starting, so a signal during start-up stops the engine as soon as it is up.
 */
async function main(): Promise<void> {
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  engine = await startEngine({ onFatal: fatal });
  if (stopSignal) shutDown(engine, stopSignal);
}

/**
 * Signals after the first do not cut the clean stop short: under `npm start` one Ctrl-C arrives twice
 * (the terminal signals the whole process group, and npm forwards its copy to us), so a second signal
 * says nothing about the user's patience. `ORRA_SHUTDOWN_TIMEOUT_MS` bounds the stop instead.
 */
function stop(signal: NodeJS.Signals): void {
  if (stopSignal) {
    engine?.log.info({ signal }, 'already shutting down; the shutdown timeout bounds the wait');
    return;
  }
  stopSignal = signal;
  if (engine) shutDown(engine, signal);
}

function shutDown(e: Engine, signal: NodeJS.Signals): void {
  e.log.info({ signal }, 'shutting down; in-flight orchestrations resume on the next start');
  closeThenExit(e, 0);
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
  const force = setTimeout(() => {
    process.stderr.write(
      `orra-engine: did not stop cleanly within ${e.config.shutdownTimeoutMs} ms; exiting anyway\n`,
    );
    process.exit(1);
  }, e.config.shutdownTimeoutMs);
  force.unref();
  e.close().then(
    () => process.exit(code),
    (err: unknown) => {
      e.log.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}

// A failed start is one line on stderr and exit 1: configuration and start-up errors say what to change;
// anything else is unexpected, and its stack is logged at debug level.
main().catch((err: unknown) => {
  const message =
    err instanceof ConfigError || err instanceof StartupError
      ? err.message
      : `cannot start: ${oneLine(err)} (ORRA_LOG_LEVEL=debug logs the stack trace)`;
  process.stderr.write(`orra-engine: ${message}\n`);
  process.exit(1);
});
