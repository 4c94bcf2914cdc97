import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEngine, type Engine } from '../../src/app.js';

/** A real engine on port 0 with its own SQLite file under a temporary data dir. */
export interface TestEngine extends Engine {
  dataDir: string;
  /** Closes the engine and deletes its data dir. */
  dispose(): Promise<void>;
}

/** Starts an engine for a test. Overrides use config key names (`taskBackoffMs`, …). */
export async function startTestEngine(overrides: Record<string, unknown> = {}, dataDir?: string): Promise<TestEngine> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'orra-test-'));
  const engine = await startEngine({
    env: {},
    overrides: { port: 0, dataDir: dir, logLevel: process.env.TEST_LOG_LEVEL ?? 'silent', ...overrides },
  });
  return Object.assign(engine, {
    dataDir: dir,
    async dispose() {
      await engine.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  });
}
