#!/usr/bin/env node
import { ConfigError, startEngine } from './app.js';

/** Process entry: start the engine, stop it cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const engine = await startEngine();
  let signals = 0;
  const stop = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(130); // a second Ctrl-C means "now"
    engine.log.info({ signal }, 'shutting down; in-flight orchestrations resume on the next start');
    const force = setTimeout(() => process.exit(1), engine.config.shutdownTimeoutMs);
    force.unref();
    engine.close().then(
      () => process.exit(0),
      (err: unknown) => {
        engine.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`orra-engine: ${message}\n`);
  process.exit(1);
});
